// The SQL of the aggregator, pure: DDL for the window table and the two bookkeeping tables, and the
// statements of a flush. Rows travel as one jsonb array per statement (jsonb_to_recordset), so a
// flush is a handful of round trips whatever its size. Identifiers are always quoted.

import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import type { Measure } from '../job/aggregate/measures.ts';
import { TABLE_COMMENT_PREFIX, tableMetadata } from './table-owner.ts';

export const OFFSETS_TABLE = 'krange_stream_offsets';
export const STATS_TABLE = 'krange_stream_stats';
/** Serialises DDL between aggregators starting at once (CREATE TABLE IF NOT EXISTS races otherwise). */
export const DDL_LOCK_KEY = 'krange.aggregate.ddl';

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export const BOOKKEEPING_DDL = [
  `CREATE TABLE IF NOT EXISTS ${OFFSETS_TABLE} (
  job text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  max_event_time bigint,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, topic, partition)
)`,
  `CREATE TABLE IF NOT EXISTS ${STATS_TABLE} (
  job text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  records bigint NOT NULL DEFAULT 0,
  rows bigint NOT NULL DEFAULT 0,
  late_events bigint NOT NULL DEFAULT 0,
  bad_records bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, topic, partition)
)`,
];

/** A table column: its SQL type and default, and information_schema's name for the type. */
export interface ColumnDef {
  name: string;
  sql: string;
  infoType: string;
}

/** The column(s) a measure owns, in table order. */
export function measureColumns(m: Measure): ColumnDef[] {
  switch (m.op) {
    case 'count':
      return [{ name: m.name, sql: 'bigint NOT NULL DEFAULT 0', infoType: 'bigint' }];
    case 'sum':
      return [{ name: m.name, sql: 'numeric NOT NULL DEFAULT 0', infoType: 'numeric' }];
    case 'countDistinct':
      return [
        { name: m.name, sql: 'bigint NOT NULL DEFAULT 0', infoType: 'bigint' },
        { name: `${m.name}_set`, sql: "text[] NOT NULL DEFAULT '{}'", infoType: 'ARRAY' },
      ];
    case 'min':
    case 'max': {
      const t = {
        int: ['bigint', 'bigint'],
        float: ['double precision', 'double precision'],
        time: ['timestamptz', 'timestamp with time zone'],
        // Byte order, the order JavaScript's < gives outside the astral planes: memory and upsert agree.
        text: ['text COLLATE "C"', 'text'],
        bool: ['boolean', 'boolean'],
        any: ['text', 'text'],
      }[m.kind];
      return [{ name: m.name, sql: t[0]!, infoType: t[1]! }];
    }
  }
}

/** How a measure's value arrives in the jsonb rows (`m<i>`). */
function recordsetType(m: Measure): string {
  if (m.op === 'count') return 'bigint';
  if (m.op === 'sum') return 'numeric';
  if (m.op === 'countDistinct') return 'text[]';
  return {
    int: 'bigint',
    float: 'double precision',
    time: 'bigint',
    text: 'text',
    bool: 'boolean',
    any: 'text',
  }[m.kind];
}

/** The window table with its key columns and every measure column of the plan. */
export function createTableSql(plan: AggregatePlan): string {
  const groups = plan.groupBy.map((g) => ident(g.column));
  const measures = plan.measures.flatMap(measureColumns).map((c) => `  ${ident(c.name)} ${c.sql},\n`);
  return `CREATE TABLE ${ident(plan.table)} (
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
${groups.map((g) => `  ${g} text NOT NULL,\n`).join('')}  updated_at timestamptz NOT NULL DEFAULT now(),
${measures.join('')}  PRIMARY KEY (window_start${groups.map((g) => `, ${g}`).join('')})
)`;
}

/** A measure column added later (IF NOT EXISTS: two aggregators may migrate at once). */
export function addColumnSql(plan: AggregatePlan, c: ColumnDef): string {
  return `ALTER TABLE ${ident(plan.table)} ADD COLUMN IF NOT EXISTS ${ident(c.name)} ${c.sql}`;
}

export function commentSql(plan: AggregatePlan): string {
  return `COMMENT ON TABLE ${ident(plan.table)} IS ${literal(TABLE_COMMENT_PREFIX + tableMetadata(plan))}`;
}

const EPOCH = `'epoch'::timestamptz`;

/**
 * Upsert of window deltas, $1 = jsonb array of {ws, g0.., m0..}. Rows are sorted by key so two
 * aggregators touching the same windows lock them in the same order (no deadlock between them).
 */
export function upsertSql(plan: AggregatePlan): string {
  const t = ident(plan.table);
  const cols: string[] = ['window_start', 'window_end'];
  const exprs: string[] = [
    `${EPOCH} + x.ws * interval '1 millisecond'`,
    `${EPOCH} + (x.ws + ${plan.window.size}) * interval '1 millisecond'`,
  ];
  const rs: string[] = ['ws bigint'];
  plan.groupBy.forEach((g, i) => {
    cols.push(ident(g.column));
    exprs.push(`x.g${i}`);
    rs.push(`g${i} text`);
  });
  const sets: string[] = [];
  plan.measures.forEach((m, i) => {
    const c = ident(m.name);
    const x = `x.m${i}`;
    rs.push(`m${i} ${recordsetType(m)}`);
    switch (m.op) {
      case 'count':
      case 'sum':
        cols.push(c);
        exprs.push(x);
        sets.push(`${c} = t.${c} + EXCLUDED.${c}`);
        break;
      case 'min':
      case 'max':
        cols.push(c);
        exprs.push(m.kind === 'time' ? `${EPOCH} + ${x} * interval '1 microsecond'` : x);
        sets.push(`${c} = ${m.op === 'min' ? 'LEAST' : 'GREATEST'}(t.${c}, EXCLUDED.${c})`);
        break;
      case 'countDistinct': {
        const s = ident(`${m.name}_set`);
        cols.push(c, s);
        exprs.push(`cardinality(${x})`, x);
        const union = `SELECT DISTINCT v FROM unnest(t.${s} || EXCLUDED.${s}) AS u(v)`;
        sets.push(`${s} = ARRAY(${union} ORDER BY v)`, `${c} = (SELECT count(*) FROM (${union}) AS d)`);
        break;
      }
    }
  });
  cols.push('updated_at');
  exprs.push('now()');
  sets.push('updated_at = now()');
  const key = ['window_start', ...plan.groupBy.map((g) => ident(g.column))];
  const order = ['x.ws', ...plan.groupBy.map((_g, i) => `x.g${i} COLLATE "C"`)];
  return `INSERT INTO ${t} AS t (${cols.join(', ')})
SELECT ${exprs.join(', ')}
FROM jsonb_to_recordset($1::jsonb) AS x(${rs.join(', ')})
ORDER BY ${order.join(', ')}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
}

/**
 * Compare-and-set of partition offsets, $1 = job, $2 = jsonb [{topic, partition, expected, next, met}].
 * Returns the rows it moved; a partition missing from the result was moved by someone else (fenced).
 */
export const ADVANCE_OFFSETS_SQL = `UPDATE ${OFFSETS_TABLE} AS o
SET next_offset = x.next, max_event_time = x.met, updated_at = now()
FROM jsonb_to_recordset($2::jsonb) AS x(topic text, partition integer, expected bigint, next bigint, met bigint)
WHERE o.job = $1 AND o.topic = x.topic AND o.partition = x.partition AND o.next_offset = x.expected
RETURNING o.topic, o.partition`;

/** $1 = job, $2 = jsonb [{topic, partition, records, rows, late, bad}]. */
export const ADD_STATS_SQL = `INSERT INTO ${STATS_TABLE} AS s (job, topic, partition, records, rows, late_events, bad_records)
SELECT $1, x.topic, x.partition, x.records, x.rows, x.late, x.bad
FROM jsonb_to_recordset($2::jsonb) AS x(topic text, partition integer, records bigint, rows bigint, late bigint, bad bigint)
ORDER BY x.topic, x.partition
ON CONFLICT (job, topic, partition) DO UPDATE SET records = s.records + EXCLUDED.records, rows = s.rows + EXCLUDED.rows,
  late_events = s.late_events + EXCLUDED.late_events, bad_records = s.bad_records + EXCLUDED.bad_records, updated_at = now()`;

/** First position of partitions never consumed, $1 = job, $2 = jsonb [{topic, partition, next}]; an existing row wins. */
export const INSERT_START_OFFSETS_SQL = `INSERT INTO ${OFFSETS_TABLE} (job, topic, partition, next_offset)
SELECT $1, x.topic, x.partition, x.next FROM jsonb_to_recordset($2::jsonb) AS x(topic text, partition integer, next bigint)
ON CONFLICT (job, topic, partition) DO NOTHING`;

export const SELECT_OFFSETS_SQL = `SELECT topic, partition, next_offset::text AS next_offset, max_event_time::text AS max_event_time, updated_at
FROM ${OFFSETS_TABLE} WHERE job = $1`;

export const SELECT_STATS_SQL = `SELECT topic, partition, records::text AS records, rows::text AS rows,
  late_events::text AS late_events, bad_records::text AS bad_records FROM ${STATS_TABLE} WHERE job = $1`;
