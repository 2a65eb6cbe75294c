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
//   <table> (default `<job>_agg`): window_start timestamptz, window_end timestamptz, one text column
//     per groupBy field, one column per measure (count bigint, sum numeric, min/max typed like the
//     field, countDistinct bigint plus `<name>_set text[]`, the exact set), updated_at;
//     primary key (window_start, groupBy columns). New measures are added with ADD COLUMN IF NOT EXISTS.
//   krange_stream_offsets (job, topic, partition, next_offset bigint, max_event_time bigint ms,
//     updated_at): the next offset to consume and the partition's highest event time (its watermark
//     is max_event_time - allowedLateness; stored with the offset so a replay decides lateness alike).
//   krange_stream_stats (job, topic, partition, records, rows, late_events, bad_records, updated_at):
//     counters, added in the same transaction, so they are exact too.
//
// PostgreSQL down: the flush fails and is retried with backoff; meanwhile no batch is accepted
// (the consumer keeps heartbeating), so memory stays bounded and nothing is lost.

import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors, type KrangeError, toKrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { jobKafka } from '../kafka/kafka-client.ts';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import { badRecordError } from '../records/dead-letter.ts';
import { RecordProcessor } from '../records/record-processor.ts';
import { type AggregatePlan, planAggregate } from './aggregate-plan.ts';
import { applyBatch, type BatchLike } from './apply-batch.ts';
import { DeadLetters } from './dead-letters.ts';
import { backoff, classify, Flusher, type FlushInfo, sleep } from './flusher.ts';
import { PartitionState, tpKey } from './partition-state.ts';
import { AggregateStore } from './pg-store.ts';
import { resumePositions } from './positions.ts';

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
  private readonly kafka: Kafka;
  private readonly deadLetters: DeadLetters;
  private readonly flushRecords: number;
  private readonly flusher: Flusher;
  private consumer: Consumer | undefined;
  private producer: Promise<Producer> | undefined;
  private admin: Admin | undefined;

  /** Partitions assigned to this member in the current generation. */
  private assigned = new Set<string>();
  /** Counts group joins: a batch that waited across one belongs to an older generation. */
  private generation = 0;
  /** Owned partitions whose stored position is known: the only place deltas live. */
  private readonly states = new Map<string, PartitionState>();
  private readonly loading = new Set<string>();
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
    this.store = new AggregateStore(this.plan, {
      url: agg.pgUrl ?? opts.job.endpoints.pgUrl,
      poolSize: agg.poolSize,
      statementTimeout: agg.statementTimeout,
      logger: this.log,
    });
    this.processor = new RecordProcessor(this.spec);
    this.kafka = jobKafka(opts.job, this.log);
    this.deadLetters = new DeadLetters(
      this.spec,
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
    this.flusher = new Flusher({
      plan: this.plan,
      store: this.store,
      deadLetters: this.deadLetters,
      states: this.states,
      log: this.log,
      flushInterval: agg.flushInterval,
      flushRecords: agg.flushRecords,
      reload: (keys) => this.startLoad(keys),
      fatal: (err) => this.fail(err),
      onFlush: opts.onFlush,
    });
  }

  async run(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    const onAbort = () => this.requestStop();
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.opts.signal?.aborted) this.requestStop();
    let statsTimer: NodeJS.Timeout | undefined;
    try {
      await this.retrying('create tables', () => this.store.ensureSchema());
      if (!this.stopRequested) {
        await this.retrying('join the consumer group', () => this.startConsumer());
        this.flusher.start();
        statsTimer = setInterval(() => this.logStats(), this.opts.statsInterval ?? 10_000);
        statsTimer.unref();
        this.log.info({ group: this.groupId(), window: this.plan.window }, 'aggregator started');
      }
      await stopped;
    } catch (err) {
      this.fatal ??= toKrangeError(err);
    } finally {
      clearInterval(statsTimer);
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

  /** Runs fn until it succeeds, retrying retriable failures with backoff; gives up quietly on stop. */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 0; ; failures++) {
      if (this.stopRequested) return undefined;
      try {
        return await fn();
      } catch (err) {
        const e = classify(this.plan, what, err);
        if (!e.retriable) throw e;
        const delayMs = Math.round(backoff(failures));
        this.log.warn({ attempt: failures + 1, delayMs, err: e.message }, `${what} failed; retrying`);
        await sleep(delayMs);
      }
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

  private async startConsumer(): Promise<void> {
    if (Array.isArray(this.spec.topics)) {
      // A missing topic is a mistake to report, not an outage to wait out.
      const existing = new Set(await (await this.kafkaAdmin()).listTopics());
      const missing = this.spec.topics.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        throw Errors.config(`job '${this.spec.name}': topic(s) ${missing.join(', ')} do not exist`, {
          job: this.spec.name,
        });
      }
    }
    const consumer = this.kafka.consumer({
      groupId: this.groupId(),
      sessionTimeout: this.opts.sessionTimeout ?? 30_000,
      heartbeatInterval: this.opts.heartbeatInterval ?? 3000,
      rebalanceTimeout: this.opts.rebalanceTimeout ?? 60_000,
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
      readUncommitted: this.spec.kafka.isolation === 'read_uncommitted',
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        this.fail(
          Errors.kafka(
            `consumer of group '${this.groupId()}' crashed: ${e.payload.error.message}`,
            {},
            e.payload.error,
            false,
          ),
        );
      } else this.log.warn({ err: e.payload.error.message }, 'kafka consumer crashed; kafkajs restarts it');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: Array.isArray(this.spec.topics) ? this.spec.topics : [this.spec.topics],
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (p) => this.eachBatch(p),
      });
    } catch (err) {
      // Kafka unreachable at start: drop this consumer; retrying() makes a new one after a backoff.
      await consumer.disconnect().catch(() => undefined);
      this.consumer = undefined;
      throw err;
    }
  }

  /** A new generation: drop what is no longer ours, re-seek what stays, load positions of the rest. */
  private onAssignment(assignment: Record<string, number[] | undefined>): void {
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment))
      for (const p of parts ?? []) next.add(tpKey(topic, p));
    for (const [key, st] of this.states) {
      if (next.has(key)) continue;
      this.states.delete(key);
      this.log.info(
        { topic: st.topic, partition: st.partition, unflushedRecords: st.counts.records },
        'partition revoked; its unflushed deltas are dropped',
      );
    }
    this.assigned = next;
    this.generation++;
    // kafkajs restarts a new generation from Kafka's committed offsets; ours are in memory/PostgreSQL.
    for (const st of this.states.values()) this.seek(st);
    this.log.info({ partitions: [...next].sort() }, 'partitions assigned');
    this.startLoad([...next]);
  }

  private seek(st: PartitionState): void {
    this.consumer?.seek({ topic: st.topic, partition: st.partition, offset: st.position.toString() });
  }

  private startLoad(keys: string[]): void {
    const todo = keys.filter((k) => !this.states.has(k) && !this.loading.has(k));
    if (todo.length === 0) return;
    for (const k of todo) this.loading.add(k);
    void this.retrying('read stored offsets', () => this.loadPositions(todo))
      .catch((err: unknown) => this.fail(toKrangeError(err)))
      .finally(() => {
        for (const k of todo) this.loading.delete(k);
      });
  }

  /** Reads (seeding if new) the stored positions of partitions we own, installs their state and seeks. */
  private async loadPositions(keys: string[]): Promise<void> {
    const wanted = () => keys.filter((k) => this.assigned.has(k) && !this.states.has(k));
    if (wanted().length === 0) return;
    const admin = await this.kafkaAdmin();
    const parts = wanted().map((k) => ({
      topic: k.slice(0, k.lastIndexOf(':')),
      partition: Number(k.slice(k.lastIndexOf(':') + 1)),
    }));
    const stored = await resumePositions({
      store: this.store,
      admin,
      spec: this.spec,
      parts,
      logger: this.log,
    });
    for (const key of wanted()) {
      const pos = stored.get(key);
      if (pos === undefined) continue;
      const sep = key.lastIndexOf(':');
      const st = new PartitionState(
        key.slice(0, sep),
        Number(key.slice(sep + 1)),
        pos,
        this.deadLetters.keepsLate,
      );
      this.states.set(key, st);
      this.seek(st);
      this.log.info(
        { topic: st.topic, partition: st.partition, offset: st.position.toString() },
        'resuming partition from stored offset',
      );
    }
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const { batch } = p;
    const key = tpKey(batch.topic, batch.partition);
    const generation = this.generation;
    this.inFlight++;
    try {
      const known = this.states.get(key);
      if (known !== undefined) known.highWatermark = BigInt(batch.highWatermark);
      else this.startLoad([key]);
      // Backpressure: no batch is taken while a flush is failing or memory holds flushRecords records.
      let beat = Date.now();
      while (
        !this.stopping &&
        this.assigned.has(key) &&
        (!this.states.has(key) || this.flusher.failing || this.flusher.pendingRecords() >= this.flushRecords)
      ) {
        await sleep(20);
        if (Date.now() - beat >= 1000) {
          beat = Date.now();
          await p.heartbeat();
        }
      }
      const st = this.states.get(key);
      // Stale: fetched before a seek still pending, or in an older generation (kafkajs settles a
      // generation's batches before rejoining, so this is a guard, not a path taken).
      if (this.stopping || st === undefined || generation !== this.generation || p.isStale()) return;
      const ready = this.processor.prepare(p.batch.messages.map((m) => ({ value: m.value ?? null })));
      if (ready !== undefined) {
        await ready;
        if (this.stopping || generation !== this.generation || p.isStale()) return;
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
    });
    this.consumed += r.records;
    Metrics.aggregateRecords.inc({ job: this.spec.name }, r.records);
    // 'fail': stop; the position stays on the bad record and the final flush keeps what came before.
    if (r.failed !== undefined) this.fail(badRecordError(r.failed));
    else if (r.resolve !== undefined) p.resolveOffset(r.resolve);
    else this.seek(st); // every record was seen already: move kafkajs to where we are
  }

  private lastStats = { at: Date.now(), consumed: 0, flushed: 0 };

  private logStats(): void {
    const now = Date.now();
    const secs = Math.max((now - this.lastStats.at) / 1000, 0.001);
    const partitions = [...this.states.values()].map((st) => ({
      topic: st.topic,
      partition: st.partition,
      offset: st.position.toString(),
      lag:
        st.highWatermark === null
          ? null
          : (st.highWatermark > st.position ? st.highWatermark - st.position : 0n).toString(),
    }));
    for (const st of this.states.values()) {
      if (st.highWatermark === null) continue;
      const labels = {
        job: this.spec.name,
        consumer: 'aggregate',
        topic: st.topic,
        partition: String(st.partition),
      };
      Metrics.logEndOffset.set(labels, Number(st.highWatermark));
      Metrics.lagRecords.set(labels, Math.max(Number(st.highWatermark - st.flushed), 0));
    }
    Metrics.aggregateRecordsRate.set(
      { job: this.spec.name },
      (this.consumed - this.lastStats.consumed) / secs,
    );
    this.log.info(
      {
        event: LogEvents.aggregateLag,
        partitions,
        recordsPerSec: Math.round((this.consumed - this.lastStats.consumed) / secs),
        flushedPerSec: Math.round((this.flusher.flushed - this.lastStats.flushed) / secs),
        flushFailing: this.flusher.failing,
      },
      'aggregate progress',
    );
    this.lastStats = { at: now, consumed: this.consumed, flushed: this.flusher.flushed };
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    if (consumer !== undefined) {
      const topics = [...new Set([...this.assigned].map((k) => k.slice(0, k.lastIndexOf(':'))))];
      try {
        if (topics.length > 0) consumer.pause(topics.map((topic) => ({ topic })));
      } catch {
        // not running (crashed): nothing to pause
      }
    }
    const deadline = Date.now() + (this.opts.shutdownTimeout ?? 30_000);
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(10);
    await this.flusher.close(deadline);
    await consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    if (this.producer !== undefined)
      await (await this.producer.catch(() => undefined))?.disconnect().catch(() => undefined);
    await this.store.close();
    this.log.info({ consumed: this.consumed, flushed: this.flusher.flushed }, 'aggregator stopped');
  }
}
