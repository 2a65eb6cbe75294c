// `aggregate.emit`: produces the closed windows recorded in the outbox (emit-outbox.ts) to the
// emit topic, each exactly once for read_committed readers, like the batch kafka() sink: one
// transactional id, and every Kafka transaction carries both the windows and the marker "emitted
// up to seq n" (the offset n of the emit topic's partition 0 in group `krange-agg-emit.<job>.<topic>`,
// sendOffsets), so records and marker commit together.
//
// One member of the group emits: the holder of a PostgreSQL session advisory lock (the lease; a
// dead member's connection releases it). A zombie that lost its lease without noticing is fenced by
// the transactional id: the new emitter's InitProducerId aborts its open transaction and bumps the
// epoch. After InitProducerId the marker is final; the emitter resumes from it (or from PostgreSQL's
// confirmed seq, a lower bound kept in case the group's offsets expired). Failure timeline in
// ARCHITECTURE.md.

import { type Admin, CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import pg from 'pg';
import type { Logger } from 'pino';
import { Errors, type KrangeError } from '../errors.ts';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import type { EmitOutbox } from './emit-outbox.ts';
import { backoff, classify, sleep } from './flusher.ts';

const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

/** Windows per Kafka transaction. */
const BATCH = 1000;
/** How often the emitter looks for windows other members' flushes closed, ms. */
const POLL_MS = 500;
/** How often a member without the lease tries to take it, ms. */
const LEASE_RETRY_MS = 2000;

export interface EmitterDeps {
  plan: AggregatePlan;
  outbox: EmitOutbox;
  pool: pg.Pool;
  pgUrl: string;
  kafka: Kafka;
  admin: () => Promise<Admin>;
  log: Logger;
  fatal: (err: KrangeError) => void;
}

/** `krange-agg-emit.<job>.<topic>`: the transactional id and the marker's group. */
export function emitterId(job: string, topic: string): string {
  return `krange-agg-emit.${job}.${topic}`;
}

/**
 * Test hook: `KRANGE_DEBUG_EMIT_CRASH=before-kafka-commit:<n>` or `after-kafka-commit:<n>` kills the
 * process (SIGKILL) at that point of its n-th emit transaction.
 */
function crashPoint(): (at: string, txn: number) => void {
  const spec = process.env['KRANGE_DEBUG_EMIT_CRASH'];
  if (spec === undefined || spec === '') return () => undefined;
  const [point, n] = spec.split(':');
  const nth = Number(n ?? '1');
  return (at, txn) => {
    if (at === point && txn === nth) process.kill(process.pid, 'SIGKILL');
  };
}

export class WindowEmitter {
  /** Windows emitted by this process. */
  emitted = 0;
  private stop = false;
  private loop: Promise<void> | undefined;
  private wakeUp: () => void = () => undefined;
  private leaseLost: Error | undefined;
  private transactions = 0;
  private readonly crash = crashPoint();
  private readonly id: string;

  constructor(private readonly d: EmitterDeps) {
    this.id = emitterId(d.plan.job, d.outbox.spec.topic);
  }

  start(): void {
    this.loop = this.run();
  }

  /** A flush closed windows: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp();
  }

  async close(): Promise<void> {
    this.stop = true;
    this.wakeUp();
    await this.loop;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stop; ) {
      try {
        await this.lead();
        failures = 0;
      } catch (err) {
        const e = classify(this.d.plan, 'emit', err);
        if (!e.retriable) {
          this.d.fatal(e);
          return;
        }
        const delayMs = backoff(failures++);
        this.d.log.warn(
          { event: LogEvents.aggregateRetry, what: 'emit', attempt: failures, delayMs, err: e.message },
          'emit failed; retrying',
        );
        await sleep(delayMs);
      }
    }
  }

  /** Tries to take the lease; emits while it holds it. */
  private async lead(): Promise<void> {
    const lease = new pg.Client({
      connectionString: this.d.pgUrl,
      connectionTimeoutMillis: 5000,
      application_name: `krange-emit-${this.d.plan.job}`.slice(0, 63),
    });
    this.leaseLost = undefined;
    lease.on('error', (err) => {
      this.leaseLost = err;
    });
    await lease.connect();
    try {
      const r = await lease.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
        this.id,
      ]);
      if (r.rows[0]?.ok !== true) {
        await this.idle(LEASE_RETRY_MS);
        return;
      }
      this.d.log.info(
        { event: LogEvents.aggregateEmitLease, topic: this.d.outbox.spec.topic },
        'emitting closed windows',
      );
      await this.emitWhileLeading(lease);
    } finally {
      await lease.end().catch(() => undefined);
    }
  }

  private async emitWhileLeading(lease: pg.Client): Promise<void> {
    const { outbox, pool, log } = this.d;
    const spec = outbox.spec;
    const producer: Producer = this.d.kafka.producer({
      transactionalId: this.id,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: spec.transactionTimeout,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      // InitProducerId: an earlier emitter's open transaction is aborted, one it was committing is
      // completed, and it is fenced. Only then is the marker final.
      await (await producer.transaction()).abort();
      let next = await this.marker();
      const confirmed = await outbox.emittedSeq(pool);
      if (confirmed > next) next = confirmed;
      await outbox.confirm(pool, next);
      while (!this.stop) {
        if (this.leaseLost !== undefined) throw this.leaseLost;
        const rows = await outbox.pending(pool, next, BATCH);
        if (rows.length === 0) {
          await this.idle(POLL_MS);
          continue;
        }
        if (rows[0]!.seq !== next) {
          throw Errors.config(
            `emit outbox of job '${this.d.plan.job}' misses windows ${next} to ${rows[0]!.seq - 1n} (deleted by hand?); ` +
              `they cannot be emitted. To skip them, UPDATE krange_emit_state SET emitted_seq = ${rows[0]!.seq} ` +
              `WHERE job = '${this.d.plan.job}' AND topic = '${spec.topic}'`,
            { job: this.d.plan.job, topic: spec.topic },
          );
        }
        // The lease is still ours (a dead connection shows here, before anything is produced).
        await lease.query('SELECT 1');
        const last = rows[rows.length - 1]!.seq;
        const n = ++this.transactions;
        const txn = await producer.transaction();
        try {
          await txn.send({
            topic: spec.topic,
            compression: COMPRESSION[spec.compression],
            messages: rows.map((r) => ({
              key: r.key,
              value: r.value,
              headers: { 'krange-window-seq': r.seq.toString() },
            })),
          });
          await txn.sendOffsets({
            consumerGroupId: this.id,
            topics: [{ topic: spec.topic, partitions: [{ partition: 0, offset: (last + 1n).toString() }] }],
          });
          this.crash('before-kafka-commit', n);
          await txn.commit();
        } catch (err) {
          await txn.abort().catch(() => undefined);
          throw err;
        }
        this.crash('after-kafka-commit', n);
        next = last + 1n;
        this.emitted += rows.length;
        Metrics.aggregateEmittedWindows.inc({ job: this.d.plan.job }, rows.length);
        log.debug(
          { event: LogEvents.aggregateEmitted, windows: rows.length, next: next.toString() },
          'emitted',
        );
        await outbox.confirm(pool, next);
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** The first seq not yet in Kafka, from the marker group's committed offset (0 when none). */
  private async marker(): Promise<bigint> {
    const admin = await this.d.admin();
    const [t] = await admin.fetchOffsets({ groupId: this.id, topics: [this.d.outbox.spec.topic] });
    const p = t?.partitions.find((x) => x.partition === 0);
    const off = p === undefined ? -1n : BigInt(p.offset);
    return off < 0n ? 0n : off;
  }
}
