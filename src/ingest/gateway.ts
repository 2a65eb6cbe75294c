// The gateway's state shared by the routes: who may write where, which records are acceptable, and
// the way to Kafka with its limits (in-flight byte budget, per-token rate, produce timeout). A route
// parses its own wire format and calls authorize -> inspect -> produce.

import type { Admin, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { LogEvents } from '../log-events.ts';
import { BatchingProducer, type Delivery, type OutRecord } from './batching-producer.ts';
import { ByteBudget } from './byte-budget.ts';
import type { IngestConfig } from './ingest-config.ts';
import { type IngestMetrics, ingestMetrics } from './ingest-metrics.ts';
import type { IngestSchemas } from './ingest-schemas.ts';
import { RateLimiter } from './rate-limiter.ts';
import { type ApiVersion, type RecordProblem, RestErrors } from './rest-errors.ts';
import { type Principal, presentedToken, TokenTable, topicAllowed } from './token-rules.ts';
import { TopicCatalog } from './topic-catalog.ts';

/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

const OPEN: Principal = { name: 'anonymous', topics: ['*'] };

export class Gateway {
  readonly catalog: TopicCatalog;
  readonly metrics: IngestMetrics = ingestMetrics();
  private readonly tokens: TokenTable;
  private readonly budget: ByteBudget;
  private readonly limiter = new RateLimiter();
  private readonly batcher: BatchingProducer;
  private closing = false;

  constructor(
    readonly config: IngestConfig,
    admin: Admin,
    private readonly producer: Producer,
    private readonly schemas: IngestSchemas,
    private readonly logger: Logger,
  ) {
    this.catalog = new TopicCatalog(admin, config.clusterId);
    this.tokens = new TokenTable(config.tokens);
    this.budget = new ByteBudget(config.inFlightBytes);
    this.batcher = new BatchingProducer(producer, this.catalog, config, (err) => {
      this.metrics.produceErrors.inc();
      this.logger.warn(
        { event: LogEvents.ingestProduceFailed, err: err.message },
        'Kafka produce call failed',
      );
    });
  }

  /** The principal allowed to write `topic`, or a 401/403 RestError. */
  authorize(authorization: string | undefined, topic: string): Principal {
    if (this.tokens.open) return OPEN;
    const p = this.tokens.authenticate(presentedToken(authorization));
    if (p === undefined) throw RestErrors.unauthorized();
    if (!topicAllowed(p.topics, topic)) throw RestErrors.forbidden(p.name, topic);
    return p;
  }

  /** The topic's partition count, or a 404 RestError. */
  async partitionCount(v: ApiVersion, topic: string): Promise<number> {
    // A name Kafka cannot hold is simply not a topic of this cluster (and would fail the metadata call).
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') throw RestErrors.topicNotFound(v, topic);
    const parts = await this.catalog.partitions(topic);
    if (parts === undefined) throw RestErrors.topicNotFound(v, topic);
    return parts.length;
  }

  /** Checks a parsed record against the limits, the topic's partitions and ingest-time job schemas. */
  inspect(rec: OutRecord, index: number, fieldPrefix: string, partitions: number): RecordProblem | undefined {
    const size = (rec.key?.length ?? 0) + (rec.value?.length ?? 0) + headerBytes(rec);
    if (size > this.config.maxRecordBytes)
      return {
        index,
        field: `${fieldPrefix}value`,
        reason: `record is ${size} bytes, over the limit of ${this.config.maxRecordBytes}`,
        status: 413,
      };
    if (rec.partition !== undefined && rec.partition >= partitions)
      return {
        index,
        field: fieldPrefix === '' ? 'partition_id' : `${fieldPrefix}partition`,
        reason: `partition ${rec.partition} does not exist (topic '${rec.topic}' has ${partitions})`,
        status: 404,
      };
    return this.schemas.check(rec, index, fieldPrefix);
  }

  /**
   * Produces the records and answers per record once Kafka acknowledged (acks=all) or refused them.
   * Throws 429 (budget full, token over its rate) or 503 (shutting down) before anything is sent.
   */
  async produce(principal: Principal, records: OutRecord[], bodyBytes: number): Promise<Delivery[]> {
    if (this.closing) throw RestErrors.shuttingDown();
    if (records.length === 0) return [];
    if (principal.recordsPerSecond !== undefined) {
      const rate = principal.recordsPerSecond;
      const wait = this.limiter.take(
        principal.name,
        records.length,
        rate,
        principal.burst ?? Math.ceil(rate),
        Date.now(),
      );
      if (wait > 0) {
        this.metrics.throttled.inc({ reason: 'rate' });
        throw RestErrors.throttled('rate', Math.max(1, Math.ceil(wait / 1000)));
      }
    }
    if (!this.budget.tryAcquire(bodyBytes)) {
      this.metrics.throttled.inc({ reason: 'budget' });
      throw RestErrors.throttled('budget', this.config.retryAfterSeconds);
    }
    this.metrics.inFlightBytes.set(this.budget.inFlight);
    const sent = this.batcher.send(records);
    // The budget is held until Kafka settles, even when the answer went out on timeout.
    void sent.finally(() => {
      this.budget.release(bodyBytes);
      this.metrics.inFlightBytes.set(this.budget.inFlight);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Delivery[]>((resolve) => {
      timer = setTimeout(() => {
        const message = `not acknowledged by Kafka within ${this.config.produceTimeoutMs} ms; it may still be stored`;
        resolve(records.map(() => ({ ok: false, retriable: true, message })));
      }, this.config.produceTimeoutMs);
    });
    const out = await Promise.race([sent, timeout]);
    clearTimeout(timer);
    let stored = 0;
    for (const d of out) if (d.ok) stored++;
    this.metrics.records.inc({ outcome: 'stored' }, stored);
    if (stored < out.length) this.metrics.records.inc({ outcome: 'failed' }, out.length - stored);
    return out;
  }

  /** Stops taking produce requests and sends what is queued; resolves when Kafka answered it all. */
  async drain(): Promise<void> {
    this.closing = true;
    await this.batcher.drain();
  }

  async close(): Promise<void> {
    await this.drain();
    await this.producer.disconnect();
  }
}

function headerBytes(rec: OutRecord): number {
  let n = 0;
  if (rec.headers !== undefined) for (const [k, v] of Object.entries(rec.headers)) n += k.length + v.length;
  return n;
}
