// `krange aggregate <job>`: a long-running member of a kafkajs consumer group that folds the job's
// rows into event-time windows in memory and writes them to PostgreSQL, exactly once in effect.
//
// Offsets live in PostgreSQL, not Kafka ("storing offsets outside Kafka"): every flush is ONE
// transaction holding the window upserts AND each partition's next offset, moved by compare-and-set
// from the value this member last read or wrote. On start and on every assignment the member seeks
// to the stored offsets; partitions it loses are dropped with their unflushed deltas (the new owner
// replays them from PostgreSQL). A member that lost a partition without noticing (a zombie) fails
// the compare-and-set, its transaction rolls back, and it re-reads the partition's position.
// Memory therefore only ever holds deltas PostgreSQL has not seen, for partitions this member owns.
//
// Tables (see table-sql.ts):
//   <table> (default `<job>_agg`): window_start, window_end, one text column per groupBy field, one
//     column per measure (countDistinct also `<name>_set text[]`), updated_at; primary key
//     (window_start, groupBy columns). New measures are added with ADD COLUMN IF NOT EXISTS.
//   krange_stream_offsets (job, topic, partition, next_offset bigint, max_event_time bigint ms,
//     updated_at): the next offset to consume and the partition's highest event time (its watermark
//     is max_event_time - allowedLateness; stored with the offset so a replay decides lateness alike).
//   krange_stream_stats (job, topic, partition, records, rows, late_events, bad_records, updated_at):
//     counters, added in the same transaction, so they are exact too.
//
// PostgreSQL down: the flush fails and is retried (retry.ts's backoff); meanwhile no batch is accepted
// (the consumer keeps heartbeating), so memory stays bounded and nothing is lost.

import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors, KrangeError, toKrangeError } from '../errors.ts';
import { type AggregatePlan, planAggregate } from '../job/aggregate/aggregate-plan.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { jobKafka } from '../kafka/kafka-client.ts';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import { RecordProcessor } from '../records/record-processor.ts';
import { withRetries } from '../retry.ts';
import { badRecordError } from '../sinks/dead-letter.ts';
import { applyBatch, type BatchLike } from './apply-batch.ts';
import { DeadLetters } from './dead-letters.ts';
import { EmitOutbox } from './emit-outbox.ts';
import { type Decoding, decodingOf } from './fast-decode.ts';
import { classify, Flusher, type FlushInfo, sleep } from './flusher.ts';
import { joinGroup } from './group-consumer.ts';
import { startLagReport } from './lag-report.ts';
import { PartitionOwnership } from './partition-ownership.ts';
import { type PartitionState, tpKey } from './partition-state.ts';
import { AggregateStore } from './pg-store.ts';
import { WindowEmitter } from './window-emitter.ts';

export interface AggregatorOptions {
  job: LoadedJob;
  logger: Logger;
  /** Abort to stop: consumption stops, memory is flushed (bounded by shutdownTimeout), the group is left. */
  signal?: AbortSignal;
  /** kafkajs group timings, ms (defaults 30 000 / 3 000 / 60 000). Shorter sessions mean faster takeover of a dead member's partitions. */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  /** Interval of the `aggregate.lag` log line, ms (default 10 000). */
  statsInterval?: number;
  /** Longest wait for the final flush on shutdown, ms (default 30 000); what it could not write is replayed on restart. */
  shutdownTimeout?: number;
  /** Called after every committed flush (tests, benchmarks). */
  onFlush?: (f: FlushInfo) => void;
}

export type { FlushInfo };

export async function runAggregator(opts: AggregatorOptions): Promise<void> {
  await new Aggregator(opts).run();
}

class Aggregator {
  private readonly spec;
  private readonly plan: AggregatePlan;
  private readonly log: Logger;
  private readonly store: AggregateStore;
  private readonly processor: RecordProcessor;
  private readonly decoding: Decoding;
  private readonly kafka: Kafka;
  private readonly deadLetters: DeadLetters;
  private readonly flushRecords: number;
  private readonly flusher: Flusher;
  private readonly outbox: EmitOutbox | undefined;
  private emitter: WindowEmitter | undefined;
  private readonly pgUrl: string;
  private consumer: Consumer | undefined;
  private producer: Promise<Producer> | undefined;
  private admin: Admin | undefined;

  private readonly owned: PartitionOwnership;
  private stopRequested = false;
  /** Set during shutdown: batches are no longer accepted. */
  private stopping = false;
  private fatal: KrangeError | undefined;
  private wake: () => void = () => undefined;
  private inFlight = 0;
  private consumed = 0;

  constructor(private readonly opts: AggregatorOptions) {
    this.spec = opts.job.spec;
    this.plan = planAggregate(this.spec);
    const agg = this.spec.aggregate!;
    this.flushRecords = agg.flushRecords;
    this.log = opts.logger.child({ job: this.spec.name, aggregate: this.plan.table });
    this.pgUrl = agg.pgUrl ?? opts.job.endpoints.pgUrl;
    this.outbox = agg.emit === undefined ? undefined : new EmitOutbox(this.plan, agg.emit);
    this.store = new AggregateStore(this.plan, {
      outbox: this.outbox,
      url: this.pgUrl,
      poolSize: agg.poolSize,
      statementTimeout: agg.statementTimeout,
      logger: this.log,
    });
    this.processor = new RecordProcessor(this.spec);
    this.decoding = decodingOf(this.spec, this.plan);
    this.kafka = jobKafka(opts.job, this.log);
    this.deadLetters = new DeadLetters(
      this.spec,
      this.kafka,
      () => {
        this.producer ??= (async () => {
          const p = this.kafka.producer({ allowAutoTopicCreation: false });
          await p.connect();
          return p;
        })();
        return this.producer;
      },
      opts.job.endpoints,
    );
    this.owned = new PartitionOwnership({
      spec: this.spec,
      store: this.store,
      admin: () => this.kafkaAdmin(),
      consumer: () => this.consumer,
      keepsLate: this.deadLetters.keepsLate,
      log: this.log,
      retrying: (what, fn) => this.retrying(what, fn),
      fatal: (err) => this.fail(err),
    });
    this.flusher = new Flusher({
      plan: this.plan,
      store: this.store,
      deadLetters: this.deadLetters,
      states: this.owned.states,
      log: this.log,
      flushInterval: agg.flushInterval,
      flushRecords: agg.flushRecords,
      reload: (keys) => this.owned.load(keys),
      fatal: (err) => this.fail(err),
      onFlush: (f) => {
        if (f.closedWindows > 0) this.emitter?.wake();
        opts.onFlush?.(f);
      },
    });
  }

  async run(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    const onAbort = () => this.requestStop();
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.opts.signal?.aborted) this.requestStop();
    let stopLagReport = (): void => undefined;
    try {
      await this.retrying('create tables', () => this.store.ensureSchema());
      if (this.outbox !== undefined)
        await this.retrying('read the partitions of the job', () => this.emitScope());
      if (!this.stopRequested) {
        await this.retrying('join the consumer group', () => this.startConsumer());
        this.flusher.start();
        stopLagReport = startLagReport(
          {
            job: this.spec.name,
            states: () => this.owned.states.values(),
            counters: () => ({
              consumed: this.consumed,
              flushed: this.flusher.flushed,
              flushFailing: this.flusher.failing,
            }),
            log: this.log,
          },
          this.opts.statsInterval ?? 10_000,
        );
        this.log.info(
          {
            event: LogEvents.aggregateStarted,
            group: this.groupId(),
            window: this.plan.window,
            decoding: this.decoding.line,
          },
          'aggregator started',
        );
      }
      await stopped;
    } catch (err) {
      this.fatal ??= toKrangeError(err);
    } finally {
      stopLagReport();
      this.opts.signal?.removeEventListener('abort', onAbort);
      await this.shutdown();
    }
    if (this.fatal !== undefined) throw this.fatal;
  }

  private groupId(): string {
    return this.spec.aggregate?.groupId ?? `krange-agg-${this.spec.name}`;
  }

  private requestStop(): void {
    this.stopRequested = true;
    this.wake();
  }

  private fail(err: KrangeError): void {
    if (this.fatal === undefined) {
      this.fatal = err;
      this.log.error({ err: { code: err.code, message: err.message } }, 'aggregator stopping on error');
    }
    this.requestStop();
  }

  /**
   * Runs fn until it succeeds (retry.ts: retriable failures only, no time budget: a streaming
   * aggregator waits out any outage); gives up quietly on stop.
   */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const stopped = new KrangeError('KRANGE_ABORTED', 'stopped', { retriable: false });
    try {
      return await withRetries(
        async () => {
          if (this.stopRequested) throw stopped;
          return fn();
        },
        {
          budgetMs: Number.POSITIVE_INFINITY,
          baseDelayMs: 100,
          classify: (err) => classify(this.plan, what, err),
          onRetry: (e, attempt, delayMs) =>
            this.log.warn(
              { event: LogEvents.aggregateRetry, what, attempt, delayMs, err: e.message },
              `${what} failed; retrying`,
            ),
        },
      );
    } catch (err) {
      if (err === stopped) return undefined;
      throw classify(this.plan, what, err);
    }
  }

  private async kafkaAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** `aggregate.emit`: checks the emit topic exists; the job's partitions close windows; starts the emitter. */
  private async emitScope(): Promise<void> {
    const outbox = this.outbox;
    if (outbox === undefined) return;
    const admin = await this.kafkaAdmin();
    const existing = await admin.listTopics();
    if (!existing.includes(outbox.spec.topic)) {
      throw Errors.config(
        `job '${this.spec.name}': aggregate.emit topic '${outbox.spec.topic}' does not exist; create it first`,
        { job: this.spec.name, topic: outbox.spec.topic },
      );
    }
    const src = this.spec.topics;
    const topics = Array.isArray(src) ? src : existing.filter((t) => src.test(t));
    const meta = await admin.fetchTopicMetadata({ topics });
    outbox.scope = { topics, partitions: meta.topics.reduce((n, t) => n + t.partitions.length, 0) };
    if (this.emitter === undefined) {
      this.emitter = new WindowEmitter({
        plan: this.plan,
        outbox,
        pool: this.store.queries,
        pgUrl: this.pgUrl,
        kafka: this.kafka,
        admin: () => this.kafkaAdmin(),
        log: this.log,
        fatal: (err) => this.fail(err),
      });
      this.emitter.start();
    }
  }

  private async startConsumer(): Promise<void> {
    this.consumer = await joinGroup({
      kafka: this.kafka,
      admin: () => this.kafkaAdmin(),
      spec: this.spec,
      groupId: this.groupId(),
      timings: this.opts,
      log: this.log,
      onAssignment: (a) => {
        this.owned.assign(a);
        // Partitions may have been added: a window closes only once every partition has a watermark.
        if (this.outbox !== undefined)
          void this.retrying('read the partitions of the job', () => this.emitScope()).catch((err: unknown) =>
            this.fail(toKrangeError(err)),
          );
      },
      eachBatch: (p) => this.eachBatch(p),
      fatal: (err) => this.fail(err),
    });
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const { batch } = p;
    const key = tpKey(batch.topic, batch.partition);
    const generation = this.owned.generation;
    this.inFlight++;
    try {
      const known = this.owned.states.get(key);
      if (known !== undefined) known.highWatermark = BigInt(batch.highWatermark);
      else this.owned.load([key]);
      // Backpressure: no batch is taken while a flush is failing or memory holds flushRecords records.
      let beat = Date.now();
      while (
        !this.stopping &&
        this.owned.assigned.has(key) &&
        (!this.owned.states.has(key) ||
          this.flusher.failing ||
          this.flusher.pendingRecords() >= this.flushRecords)
      ) {
        await sleep(20);
        if (Date.now() - beat >= 1000) {
          beat = Date.now();
          await p.heartbeat();
        }
      }
      const st = this.owned.states.get(key);
      // Stale: fetched before a seek still pending, or in an older generation (kafkajs settles a
      // generation's batches before rejoining, so this is a guard, not a path taken).
      if (this.stopping || st === undefined || generation !== this.owned.generation || p.isStale()) return;
      const ready = this.processor.prepare(p.batch.messages.map((m) => ({ value: m.value ?? null })));
      if (ready !== undefined) {
        await ready;
        if (this.stopping || generation !== this.owned.generation || p.isStale()) return;
      }
      this.consume(st, p);
    } catch (err) {
      // Rebalance errors from heartbeat() go back to kafkajs, which rejoins; anything else stops us.
      if ((err as { name?: string }).name?.startsWith('KafkaJS')) throw err;
      this.fail(toKrangeError(err));
    } finally {
      this.inFlight--;
    }
  }

  private consume(st: PartitionState, p: EachBatchPayload): void {
    const r = applyBatch(st, p.batch as BatchLike, {
      plan: this.plan,
      processor: this.processor,
      policy: this.spec.onBadRecord,
      keepBad: this.deadLetters.keepsBad,
      fast: this.decoding.fast,
    });
    this.consumed += r.records;
    Metrics.aggregateRecords.inc({ job: this.spec.name }, r.records);
    // 'fail': stop; the position stays on the bad record and the final flush keeps what came before.
    if (r.failed !== undefined) this.fail(badRecordError(r.failed));
    else if (r.resolve !== undefined) p.resolveOffset(r.resolve);
    else this.owned.seek(st); // every record was seen already: move kafkajs to where we are
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    if (consumer !== undefined) {
      const topics = [...new Set([...this.owned.assigned].map((k) => k.slice(0, k.lastIndexOf(':'))))];
      try {
        if (topics.length > 0) consumer.pause(topics.map((topic) => ({ topic })));
      } catch {
        // not running (crashed): nothing to pause
      }
    }
    const deadline = Date.now() + (this.opts.shutdownTimeout ?? 30_000);
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(10);
    await this.flusher.close(deadline);
    await this.emitter?.close();
    await consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.deadLetters.close();
    if (this.producer !== undefined)
      await (await this.producer.catch(() => undefined))?.disconnect().catch(() => undefined);
    await this.store.close();
    this.log.info(
      { event: LogEvents.aggregateStopped, consumed: this.consumed, flushed: this.flusher.flushed },
      'aggregator stopped',
    );
  }
}
