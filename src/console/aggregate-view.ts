// The aggregates page's data: the aggregate table's most recent windows (each numeric measure per
// window and group) and, per partition, the offset stored in PostgreSQL against Kafka's log end
// with the partition's newest event time (freshness). Reads only.

import pg from 'pg';
import { aggregatorStatus, type StatusRow } from '../aggregator/status.ts';
import { ident } from '../aggregator/table-sql.ts';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import { planAggregate } from '../job/aggregate/aggregate-plan.ts';
import { serviceEndpoints } from '../job/endpoints.ts';
import type { LoadedJob } from '../job/job-loader.ts';

/** Windows shown (the newest, by window start). */
const WINDOWS = 60;
const MAX_ROWS = 5000;

export interface WindowRow {
  /** Window start, Unix ms. */
  start: number;
  groups: Record<string, string>;
  measures: Record<string, number | null>;
}

export interface AggregateView {
  job: string;
  table: string;
  windowMs: number;
  groupBy: string[];
  measures: string[];
  windows: WindowRow[];
  partitions: StatusRow[];
  /** Unix ms when read: freshness of each partition is this minus its maxEventTime. */
  readAt: number;
  error: string | null;
}

function numericMeasures(plan: AggregatePlan): string[] {
  return plan.measures
    .filter(
      (m) =>
        m.op === 'count' ||
        m.op === 'sum' ||
        m.op === 'countDistinct' ||
        m.kind === 'int' ||
        m.kind === 'float',
    )
    .map((m) => m.name);
}

async function recentWindows(job: LoadedJob, plan: AggregatePlan, measures: string[]): Promise<WindowRow[]> {
  const client = new pg.Client({
    connectionString: job.spec.aggregate?.pgUrl ?? serviceEndpoints().pgUrl,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
      plan.table,
    ]);
    if (exists.rows[0]?.ok !== true) return [];
    const t = ident(plan.table);
    const groups = plan.groupBy.map((g) => `${ident(g.column)}::text AS ${ident(`g_${g.column}`)}`);
    const cols = measures.map((m) => `${ident(m)}::float8 AS ${ident(`m_${m}`)}`);
    const sql =
      `SELECT (extract(epoch FROM window_start) * 1000)::float8 AS start, ${[...groups, ...cols].join(', ')} ` +
      `FROM ${t} WHERE window_start >= (SELECT max(window_start) FROM ${t}) - make_interval(secs => $1) ` +
      `ORDER BY window_start LIMIT ${MAX_ROWS}`;
    const res = await client.query<Record<string, string | number | null>>(sql, [
      (WINDOWS * plan.window.slide) / 1000,
    ]);
    return res.rows.map((r) => ({
      start: Number(r['start']),
      groups: Object.fromEntries(plan.groupBy.map((g) => [g.column, String(r[`g_${g.column}`] ?? '')])),
      measures: Object.fromEntries(
        measures.map((m) => [m, r[`m_${m}`] === null ? null : Number(r[`m_${m}`])]),
      ),
    }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function aggregateView(job: LoadedJob): Promise<AggregateView> {
  const plan = planAggregate(job.spec);
  const measures = numericMeasures(plan);
  const base = {
    job: job.spec.name,
    table: plan.table,
    windowMs: plan.window.size,
    groupBy: plan.groupBy.map((g) => g.column),
    measures,
  };
  try {
    const [windows, partitions] = await Promise.all([
      recentWindows(job, plan, measures),
      aggregatorStatus(job),
    ]);
    return { ...base, windows, partitions, readAt: Date.now(), error: null };
  } catch (err) {
    return { ...base, windows: [], partitions: [], readAt: Date.now(), error: (err as Error).message };
  }
}
