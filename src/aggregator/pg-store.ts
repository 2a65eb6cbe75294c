// The aggregator's PostgreSQL adapter: creates and migrates the tables, reads and seeds partition
// positions, and runs a flush as ONE transaction: compare-and-set of every partition's next_offset
// (a stale owner is fenced off and rolled back), counters, then the window upserts.

import pg from 'pg';
import type { Logger } from 'pino';
import { Errors, type KrangeError } from '../errors.ts';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import { accToJson } from '../job/aggregate/measures.ts';
import type { EmitOutbox } from './emit-outbox.ts';
import {
  mergeDeltas,
  type PartitionSnapshot,
  type StoredPosition,
  tpKey,
  type WindowDelta,
} from './partition-state.ts';
import { checkTableOwner } from './table-owner.ts';
import {
  ADD_STATS_SQL,
  ADVANCE_OFFSETS_SQL,
  addColumnSql,
  BOOKKEEPING_DDL,
  commentSql,
  createTableSql,
  DDL_LOCK_KEY,
  INSERT_START_OFFSETS_SQL,
  ident,
  measureColumns,
  SELECT_OFFSETS_SQL,
  upsertSql,
} from './table-sql.ts';

export interface StoreOptions {
  url: string;
  poolSize: number;
  /** ms; also bounds how long a flush waits for a lock. */
  statementTimeout: number;
  logger: Logger;
  /** `aggregate.emit`: each flush also records the windows it closed. */
  outbox?: EmitOutbox | undefined;
}

export interface FlushResult {
  /** Partitions whose stored next_offset was not the expected one: nothing was written. */
  fenced: PartitionSnapshot[];
  /** Window rows upserted. */
  windowRows: number;
  /** Windows this flush closed, recorded in the emit outbox. */
  closedWindows: number;
}

/** Window rows per upsert statement (all in the same transaction). */
const UPSERT_CHUNK = 5000;

/**
 * SQLSTATE classes that retrying cannot fix (bad data or SQL, missing objects, privileges, auth):
 * the aggregator stops. Anything else (connection refused or reset, admin shutdown, serialization
 * failure, deadlock, statement timeout, out of resources) is retried with backoff.
 */
const FATAL_SQLSTATE_CLASSES = new Set(['0A', '22', '23', '28', '2B', '3D', '3F', '42', '44']);

export function isRetriablePgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return !FATAL_SQLSTATE_CLASSES.has(code.slice(0, 2));
  return true;
}

export function pgError(plan: AggregatePlan, what: string, err: unknown): KrangeError {
  const code = (err as { code?: unknown } | null)?.code;
  return Errors.sink(
    'postgres',
    `${what} failed for table '${plan.table}': ${(err as Error).message}`,
    { job: plan.job, table: plan.table, sqlstate: typeof code === 'string' ? code : undefined },
    err,
    isRetriablePgError(err),
  );
}

export class AggregateStore {
  private readonly pool: pg.Pool;
  private readonly upsert: string;
  private readonly log: Logger;
  private readonly outbox: EmitOutbox | undefined;

  constructor(
    private readonly plan: AggregatePlan,
    opts: StoreOptions,
  ) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      statement_timeout: opts.statementTimeout,
      connectionTimeoutMillis: 5000,
      application_name: `krange-aggregate-${plan.job}`.slice(0, 63),
    });
    // An idle client whose server went away emits here; without a listener the process would die.
    this.pool.on('error', (err) =>
      opts.logger.warn({ err: err.message }, 'postgres connection lost (idle client)'),
    );
    this.upsert = upsertSql(plan);
    this.log = opts.logger;
    this.outbox = opts.outbox;
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client has no pool listener: a server that terminates the connection between
    // two queries (a restart, an administrator's kill) would emit an unhandled 'error' and kill the
    // process. Remember it instead; the next query fails and the flush is retried.
    let lost: Error | undefined;
    const onError = (err: Error): void => {
      lost = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      client.off('error', onError);
      client.release(lost);
      return out;
    } catch (err) {
      // A client whose ROLLBACK fails holds a broken connection: destroy it rather than pool it.
      let broken = lost !== undefined;
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.off('error', onError);
      client.release(broken);
      throw err;
    }
  }

  /**
   * Creates the tables, or adds the columns of measures added since (ALTER only when a column is
   * missing: it locks the table against other members' flushes), then checks an existing table
   * means the same windows and has the column types the measures need.
   */
  async ensureSchema(): Promise<void> {
    const { plan } = this;
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_KEY]);
      for (const sql of BOOKKEEPING_DDL) await c.query(sql);
      await this.outbox?.ensure(c);
      const found = await c.query<{ oid: number | null; comment: string | null }>(
        "SELECT t.oid::int AS oid, obj_description(t.oid, 'pg_class') AS comment FROM (SELECT to_regclass($1) AS oid) AS t",
        [ident(plan.table)],
      );
      const row = found.rows[0];
      if (row?.oid === null || row?.oid === undefined) {
        await c.query(createTableSql(plan));
        await c.query(commentSql(plan));
        return;
      }
      if (checkTableOwner(plan, row.comment).kind === 'claim') {
        await c.query(commentSql(plan));
        this.log.warn(
          { table: plan.table },
          `table '${plan.table}' had no recorded owner (made by an earlier krange); job '${plan.job}' claims it`,
        );
      }
      const cols = await c.query<{ column_name: string; data_type: string }>(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [plan.table],
      );
      const types = new Map(cols.rows.map((r) => [r.column_name, r.data_type]));
      for (const col of plan.measures.flatMap(measureColumns)) {
        const had = types.get(col.name);
        if (had === undefined) await c.query(addColumnSql(plan, col));
        else if (had !== col.infoType) {
          throw Errors.config(
            `column '${col.name}' of table '${plan.table}' is ${had}, the measure needs ${col.infoType}; ` +
              'drop the column (its values are lost) or rename the measure',
            { table: plan.table },
          );
        }
      }
    });
  }

  /** Every stored position of the job, keyed `topic:partition`. */
  async readPositions(): Promise<Map<string, StoredPosition>> {
    const r = await this.pool.query<{
      topic: string;
      partition: number;
      next_offset: string;
      max_event_time: string | null;
    }>(SELECT_OFFSETS_SQL, [this.plan.job]);
    return new Map(
      r.rows.map((row) => [
        tpKey(row.topic, row.partition),
        {
          nextOffset: BigInt(row.next_offset),
          maxEventTime: row.max_event_time === null ? null : Number(row.max_event_time),
        },
      ]),
    );
  }

  /** Seeds positions of partitions never consumed; a row another aggregator wrote first wins. */
  async insertStartPositions(rows: { topic: string; partition: number; next: bigint }[]): Promise<void> {
    if (rows.length === 0) return;
    const json = rows.map((r) => ({ topic: r.topic, partition: r.partition, next: r.next.toString() }));
    await this.pool.query(INSERT_START_OFFSETS_SQL, [this.plan.job, JSON.stringify(json)]);
  }

  /** One flush transaction; see the module header. */
  async flush(snaps: PartitionSnapshot[]): Promise<FlushResult> {
    const { plan } = this;
    if (snaps.length === 0) return { fenced: [], windowRows: 0, closedWindows: 0 };
    const offsets = snaps.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      expected: s.expected.toString(),
      next: s.next.toString(),
      met: s.maxEventTime,
    }));
    const stats = snaps
      .filter((s) => s.counts.records > 0)
      .map((s) => ({ topic: s.topic, partition: s.partition, ...s.counts }));
    const merged = new Map<string, WindowDelta>();
    for (const s of snaps) mergeDeltas(plan, merged, s.deltas);
    const rows = [...merged.values()]
      .sort((a, b) => a.start - b.start || compareGroups(a.groups, b.groups))
      .map((d) => {
        const o: Record<string, unknown> = { ws: d.start };
        d.groups.forEach((g, i) => {
          o[`g${i}`] = g;
        });
        plan.measures.forEach((m, i) => {
          o[`m${i}`] = accToJson(m, d.accs[i] ?? null);
        });
        return o;
      });
    const fenced: PartitionSnapshot[] = [];
    let closedWindows = 0;
    try {
      await this.tx(async (c) => {
        const moved = await c.query<{ topic: string; partition: number }>(ADVANCE_OFFSETS_SQL, [
          plan.job,
          JSON.stringify(offsets),
        ]);
        const ok = new Set(moved.rows.map((r) => tpKey(r.topic, r.partition)));
        for (const s of snaps) if (!ok.has(tpKey(s.topic, s.partition))) fenced.push(s);
        if (fenced.length > 0) throw new FencedSignal();
        if (stats.length > 0) await c.query(ADD_STATS_SQL, [plan.job, JSON.stringify(stats)]);
        for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
          await c.query(this.upsert, [JSON.stringify(rows.slice(i, i + UPSERT_CHUNK))]);
        }
        if (this.outbox !== undefined) closedWindows = await this.outbox.recordClosed(c);
      });
    } catch (err) {
      if (err instanceof FencedSignal) return { fenced, windowRows: 0, closedWindows: 0 };
      throw err;
    }
    return { fenced: [], windowRows: rows.length, closedWindows };
  }

  /** The pool, for the emitter's reads of the outbox. */
  get queries(): pg.Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** Rolls the transaction back when a compare-and-set missed (not an error: the caller re-syncs). */
class FencedSignal extends Error {}

function compareGroups(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
