// The flusher: every flushInterval, or as soon as flushRecords records wait in memory, it takes a
// snapshot of every dirty partition, sends their dead letters, and writes everything in ONE
// PostgreSQL transaction (pg-store.ts). A failed flush gives the snapshot back to the partitions and
// is retried with backoff; while it fails `failing` is true and the consumer takes no batch. A
// partition whose stored offset was moved by someone else (fenced) is dropped and re-read.

import type { Logger } from 'pino';
import { Errors, isKrangeError, type KrangeError, toKrangeError } from '../errors.ts';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import { backoffDelay, realClock } from '../retry.ts';
import type { DeadLetters } from './dead-letters.ts';
import { type PartitionSnapshot, type PartitionState, tpKey } from './partition-state.ts';
import { type AggregateStore, pgError } from './pg-store.ts';

export interface FlushInfo {
  partitions: number;
  records: number;
  windowRows: number;
  /** Windows closed by this flush (recorded for `aggregate.emit`). */
  closedWindows: number;
  durationMs: number;
}

export interface FlusherDeps {
  plan: AggregatePlan;
  store: AggregateStore;
  deadLetters: DeadLetters;
  /** The owned partitions; the flusher removes fenced ones. */
  states: Map<string, PartitionState>;
  log: Logger;
  flushInterval: number;
  flushRecords: number;
  /** Re-read the stored positions of these (fenced) partitions if still owned. */
  reload: (keys: string[]) => void;
  /** A flush failed in a way retrying cannot fix. */
  fatal: (err: KrangeError) => void;
  onFlush?: ((f: FlushInfo) => void) | undefined;
}

export const sleep = realClock.sleep;
/** The aggregator's waits between failed attempts: retry.ts's backoff, 100 ms doubling to 5 s. */
export const backoff = (failures: number) => backoffDelay(failures, 100, 5000);

/** Classifies a failure of a PostgreSQL or Kafka call: a KrangeError as it is, else by its origin. */
export function classify(plan: AggregatePlan, what: string, err: unknown): KrangeError {
  if (isKrangeError(err)) return toKrangeError(err);
  if ((err as { name?: unknown }).name?.toString().startsWith('KafkaJS'))
    return Errors.kafka(`${what}: ${(err as Error).message}`, {}, err);
  return pgError(plan, what, err);
}

export class Flusher {
  /** The last flush failed; consumption waits until one succeeds. */
  failing = false;
  /** Records written to PostgreSQL since start. */
  flushed = 0;
  private stop = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly d: FlusherDeps) {}

  /** Records in memory not yet handed to a flush. */
  pendingRecords(): number {
    let n = 0;
    for (const st of this.d.states.values()) n += st.counts.records;
    return n;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops the loop, then flushes what is left, retrying until the deadline. */
  async close(deadline: number): Promise<void> {
    this.stop = true;
    if (this.loop === undefined) return;
    await this.loop;
    for (let failures = 0; Date.now() < deadline; failures++) {
      try {
        await this.flushOnce();
        return;
      } catch (err) {
        if (!classify(this.d.plan, 'final flush', err).retriable) break;
        await sleep(Math.min(backoff(failures), Math.max(deadline - Date.now(), 0)));
      }
    }
    this.d.log.warn(
      { unflushedRecords: this.pendingRecords() },
      'final flush did not complete; those records are replayed on restart',
    );
  }

  private async run(): Promise<void> {
    let failures = 0;
    let nextAt = Date.now() + this.d.flushInterval;
    while (!this.stop) {
      await sleep(20);
      if (Date.now() < nextAt && (failures > 0 || this.pendingRecords() < this.d.flushRecords)) continue;
      // The next flush is due flushInterval after this one STARTED: counting from its end would
      // add the flush's own duration to every record's wait (freshness = interval + 2 x flush).
      const startedAt = Date.now();
      try {
        await this.flushOnce();
        if (failures > 0)
          this.d.log.info(
            { event: LogEvents.aggregateRecovered, failures },
            'flush succeeded again; consuming',
          );
        failures = 0;
        this.failing = false;
        nextAt = startedAt + this.d.flushInterval;
      } catch (err) {
        const e = classify(this.d.plan, 'flush', err);
        if (!e.retriable) {
          this.d.fatal(e);
          return;
        }
        const delayMs = backoff(failures++);
        Metrics.aggregateFlushFailures.inc({ job: this.d.plan.job });
        this.failing = true;
        nextAt = Date.now() + delayMs;
        this.d.log.warn(
          { event: LogEvents.aggregateRetry, what: 'flush', attempt: failures, delayMs, err: e.message },
          'flush failed; consumption paused, retrying',
        );
      }
    }
  }

  /** One flush: dead letters, then one PostgreSQL transaction for every dirty partition. */
  private async flushOnce(): Promise<void> {
    const { plan, states, log } = this.d;
    const started = performance.now();
    const taken: { st: PartitionState; s: PartitionSnapshot }[] = [];
    for (const st of states.values()) if (st.dirty) taken.push({ st, s: st.snapshot() });
    if (taken.length === 0) return;
    // A partition revoked meanwhile is gone from `states`: whatever happened to its snapshot, drop it.
    const current = (x: { st: PartitionState }) => states.get(tpKey(x.st.topic, x.st.partition)) === x.st;
    let sent = false;
    let fenced: PartitionSnapshot[];
    let windowRows: number;
    let closedWindows: number;
    try {
      await this.d.deadLetters.send(taken.map((x) => x.s));
      sent = true;
      ({ fenced, windowRows, closedWindows } = await this.d.store.flush(taken.map((x) => x.s)));
    } catch (err) {
      for (const x of taken) if (current(x)) x.st.restore(plan, x.s, sent);
      throw err;
    }
    if (fenced.length > 0) {
      // Someone moved these partitions' offsets (a new owner, or our own commit whose answer was
      // lost): our deltas for them are stale. Drop them, re-read the stored offsets, flush the rest.
      const lost = new Set(fenced);
      for (const x of taken) {
        if (!current(x)) continue;
        if (lost.has(x.s)) {
          states.delete(tpKey(x.st.topic, x.st.partition));
          log.warn(
            {
              event: LogEvents.aggregateFenced,
              topic: x.s.topic,
              partition: x.s.partition,
              expected: x.s.expected.toString(),
            },
            'stored offset moved by another member; re-reading it',
          );
        } else x.st.restore(plan, x.s, true);
      }
      this.d.reload(fenced.map((s) => tpKey(s.topic, s.partition)));
      return this.flushOnce();
    }
    let records = 0;
    let late = 0;
    const job = plan.job;
    const now = Date.now();
    for (const x of taken) {
      records += x.s.counts.records;
      late += x.s.counts.late;
      if (current(x)) x.st.committed(x.s);
      // Freshness per partition and flush (not per record): its newest event's time to now, committed.
      if (x.s.counts.rows > 0 && x.s.maxEventTime !== null)
        Metrics.aggregateFreshness.observe({ job }, Math.max(now - x.s.maxEventTime, 0) / 1000);
      const labels = { job, consumer: 'aggregate', topic: x.s.topic, partition: String(x.s.partition) };
      Metrics.committedOffset.set(labels, Number(x.s.next));
      if (x.st.highWatermark !== null) {
        Metrics.logEndOffset.set(labels, Number(x.st.highWatermark));
        Metrics.lagRecords.set(labels, Math.max(Number(x.st.highWatermark - x.s.next), 0));
      }
    }
    this.flushed += records;
    const durationMs = Math.round(performance.now() - started);
    Metrics.aggregateFlushDuration.observe({ job }, (performance.now() - started) / 1000);
    Metrics.aggregateFlushedRecords.inc({ job }, records);
    if (late > 0) Metrics.aggregateLateEvents.inc({ job }, late);
    if (late > 0) log.info({ event: LogEvents.aggregateLate, late }, 'late events counted, not merged');
    log.debug(
      { event: LogEvents.aggregateFlushed, partitions: taken.length, records, windowRows, durationMs },
      'flushed',
    );
    this.d.onFlush?.({ partitions: taken.length, records, windowRows, closedWindows, durationMs });
  }
}
