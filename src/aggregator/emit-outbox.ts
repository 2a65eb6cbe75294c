// The PostgreSQL side of `aggregate.emit`: inside a flush's transaction, the windows that flush
// closed are copied into the outbox with consecutive sequence numbers (emit-sql.ts); the emitter
// reads them back in order and, once Kafka committed them, confirms and deletes them.
//
// A window is closed when its end is at or before the job's watermark: the least of its partitions'
// watermarks (max_event_time - allowedLateness, stored with each offset), and only once every
// partition of the job's topics has a position and an event time. A partition accepts no event
// older than its own watermark, so no member can still add to a closed window (ARCHITECTURE.md).

import type pg from 'pg';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import type { EmitSpec } from '../job/job-spec.ts';
import {
  ADVANCE_EMIT_STATE_SQL,
  CONFIRM_EMITTED_SQL,
  EMIT_DDL,
  INSERT_EMIT_STATE_SQL,
  LOCK_EMIT_STATE_SQL,
  MIN_EVENT_TIME_SQL,
  recordClosedSql,
  SELECT_EMITTED_SQL,
  SELECT_PENDING_SQL,
} from './emit-sql.ts';

/** The partitions whose watermarks close a window: the job's topics and their partition count. */
export interface WatermarkScope {
  topics: string[];
  partitions: number;
}

export interface PendingWindow {
  seq: bigint;
  key: string | null;
  value: string;
}

export class EmitOutbox {
  private readonly recordSql: string;
  /** Set once the aggregator knows the job's partitions; nothing closes before. */
  scope: WatermarkScope | undefined;

  constructor(
    private readonly plan: AggregatePlan,
    readonly spec: EmitSpec,
  ) {
    this.recordSql = recordClosedSql(plan, spec);
  }

  /** Creates the outbox tables and this job's state row (in the DDL transaction). */
  async ensure(c: pg.ClientBase): Promise<void> {
    for (const sql of EMIT_DDL) await c.query(sql);
    await c.query(INSERT_EMIT_STATE_SQL, [this.plan.job, this.spec.topic]);
  }

  /** In a flush's transaction, after its upserts: records the windows it closed; returns how many. */
  async recordClosed(c: pg.ClientBase): Promise<number> {
    const scope = this.scope;
    if (scope === undefined) return 0;
    const args = [this.plan.job, this.spec.topic];
    const w = (
      await c.query<{ n: number; known: number; min_event_time: string | null }>(MIN_EVENT_TIME_SQL, [
        this.plan.job,
        scope.topics,
      ])
    ).rows[0];
    if (w === undefined || w.min_event_time === null || w.n < scope.partitions || w.known < w.n) return 0;
    const watermark = BigInt(w.min_event_time) - BigInt(this.plan.allowedLateness);
    // Locked only when windows may close: the lock serialises the members' closing flushes.
    const st = (await c.query<{ closed_through: string | null; next_seq: string }>(LOCK_EMIT_STATE_SQL, args))
      .rows[0];
    if (st === undefined) return 0;
    const prev = st.closed_through === null ? null : BigInt(st.closed_through);
    if (prev !== null && watermark <= prev) return 0;
    const next = BigInt(st.next_seq);
    const r = await c.query(this.recordSql, [
      ...args,
      next.toString(),
      prev?.toString() ?? null,
      watermark.toString(),
    ]);
    const n = r.rowCount ?? 0;
    await c.query(ADVANCE_EMIT_STATE_SQL, [...args, watermark.toString(), (next + BigInt(n)).toString()]);
    return n;
  }

  /** Outbox rows from `from` on, in order. */
  async pending(pool: pg.Pool, from: bigint, limit: number): Promise<PendingWindow[]> {
    const r = await pool.query<{ seq_text: string; key: string | null; value: string }>(SELECT_PENDING_SQL, [
      this.plan.job,
      this.spec.topic,
      from.toString(),
      limit,
    ]);
    return r.rows.map((x) => ({ seq: BigInt(x.seq_text), key: x.key, value: x.value }));
  }

  /** The first seq PostgreSQL knows was committed to Kafka (a lower bound of the truth, which is Kafka's marker). */
  async emittedSeq(pool: pg.Pool): Promise<bigint> {
    const r = await pool.query<{ emitted_seq: string }>(SELECT_EMITTED_SQL, [this.plan.job, this.spec.topic]);
    return BigInt(r.rows[0]?.emitted_seq ?? '0');
  }

  /** After a Kafka commit: every seq below `next` is emitted; forget those rows. */
  async confirm(pool: pg.Pool, next: bigint): Promise<void> {
    for (const sql of CONFIRM_EMITTED_SQL)
      await pool.query(sql, [this.plan.job, this.spec.topic, next.toString()]);
  }
}
