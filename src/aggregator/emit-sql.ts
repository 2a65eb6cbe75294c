// The SQL of `aggregate.emit`, pure: the outbox of closed windows and its state row, and the
// statement that copies the windows closed by a flush into the outbox, each with its sequence
// number and its Kafka record (key and value as JSON text built by PostgreSQL, so numbers stay exact).

import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import type { EmitSpec } from '../job/job-spec.ts';
import { ident, literal } from './table-sql.ts';

export const EMIT_STATE_TABLE = 'krange_emit_state';
export const EMIT_OUTBOX_TABLE = 'krange_emit_outbox';

export const EMIT_DDL = [
  `CREATE TABLE IF NOT EXISTS ${EMIT_STATE_TABLE} (
  job text NOT NULL,
  topic text NOT NULL,
  closed_through bigint,
  next_seq bigint NOT NULL DEFAULT 0,
  emitted_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, topic)
)`,
  `CREATE TABLE IF NOT EXISTS ${EMIT_OUTBOX_TABLE} (
  job text NOT NULL,
  topic text NOT NULL,
  seq bigint NOT NULL,
  window_end timestamptz NOT NULL,
  key text,
  value text NOT NULL,
  PRIMARY KEY (job, topic, seq)
)`,
];

/** $1 = job, $2 = emit topic: the state row, created once (an existing row wins). */
export const INSERT_EMIT_STATE_SQL = `INSERT INTO ${EMIT_STATE_TABLE} (job, topic) VALUES ($1, $2) ON CONFLICT DO NOTHING`;

/** $1 = job, $2 = emit topic; FOR UPDATE serialises the members' flushes that close windows. */
export const LOCK_EMIT_STATE_SQL = `SELECT closed_through::text AS closed_through, next_seq::text AS next_seq
FROM ${EMIT_STATE_TABLE} WHERE job = $1 AND topic = $2 FOR UPDATE`;

/** $1 = job, $2 = text[] of the job's topics: how many partitions have a position, how many an event time, the least. */
export const MIN_EVENT_TIME_SQL = `SELECT count(*)::int AS n, count(max_event_time)::int AS known, min(max_event_time)::text AS min_event_time
FROM krange_stream_offsets WHERE job = $1 AND topic = ANY($2::text[])`;

/** $1 = job, $2 = emit topic, $3 = closed_through ms, $4 = next_seq. */
export const ADVANCE_EMIT_STATE_SQL = `UPDATE ${EMIT_STATE_TABLE} SET closed_through = $3, next_seq = $4, updated_at = now()
WHERE job = $1 AND topic = $2`;

/** $1 = job, $2 = emit topic, $3 = first seq not emitted, $4 = most rows. */
export const SELECT_PENDING_SQL = `SELECT o.seq::text AS seq_text, o.key, o.value FROM ${EMIT_OUTBOX_TABLE} AS o
WHERE o.job = $1 AND o.topic = $2 AND o.seq >= $3 ORDER BY o.seq LIMIT $4`;

/** $1 = job, $2 = emit topic: the first seq not yet confirmed emitted, as PostgreSQL knows it. */
export const SELECT_EMITTED_SQL = `SELECT emitted_seq::text AS emitted_seq FROM ${EMIT_STATE_TABLE} WHERE job = $1 AND topic = $2`;

/** $1 = job, $2 = emit topic, $3 = first seq not emitted: after a Kafka commit, forget what it emitted. */
export const CONFIRM_EMITTED_SQL = [
  `UPDATE ${EMIT_STATE_TABLE} SET emitted_seq = GREATEST(emitted_seq, $3), updated_at = now() WHERE job = $1 AND topic = $2`,
  `DELETE FROM ${EMIT_OUTBOX_TABLE} WHERE job = $1 AND topic = $2 AND seq < $3`,
];

const iso = (x: string, fmt: 'MS' | 'US') =>
  `to_char(${x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.${fmt}"Z"')`;

/** `'name', expr` pairs for json_build_object. */
type Pairs = string[];

function groupPairs(plan: AggregatePlan): Pairs {
  return plan.groupBy.map((g) => `${literal(g.column)}, t.${ident(g.column)}`);
}

function measurePairs(plan: AggregatePlan): Pairs {
  return plan.measures.map((m) => {
    const c = `t.${ident(m.name)}`;
    const v = (m.op === 'min' || m.op === 'max') && m.kind === 'time' ? iso(c, 'US') : c;
    return `${literal(m.name)}, ${v}`;
  });
}

const obj = (pairs: Pairs) => `json_build_object(${pairs.join(', ')})`;

/** The Kafka key and value of a window row `t`, as SQL text expressions. */
export function emitRecordSql(plan: AggregatePlan, emit: EmitSpec): { key: string; value: string } {
  const ws = iso('t.window_start', 'MS');
  const we = iso('t.window_end', 'MS');
  const key =
    emit.key === 'none'
      ? 'NULL::text'
      : emit.key === 'window'
        ? `${obj([`'window_start', ${ws}`, ...groupPairs(plan)])}::text`
        : `${obj(groupPairs(plan))}::text`;
  const value =
    emit.value === 'nested'
      ? obj([
          `'window', ${obj([`'start', ${ws}`, `'end', ${we}`])}`,
          `'group', ${obj(groupPairs(plan))}`,
          `'measures', ${obj(measurePairs(plan))}`,
        ])
      : obj([`'window_start', ${ws}`, `'window_end', ${we}`, ...groupPairs(plan), ...measurePairs(plan)]);
  return { key, value: `${value}::text` };
}

/**
 * Copies the window rows whose end is in (previous closed_through, new closed_through] into the
 * outbox, numbered from next_seq in (window end, groups) order. $1 = job, $2 = emit topic,
 * $3 = next_seq, $4 = previous closed_through ms (NULL: none yet), $5 = new closed_through ms.
 * The range is on window_start (end - size), the table's key, so it is an index range scan.
 */
export function recordClosedSql(plan: AggregatePlan, emit: EmitSpec): string {
  const { key, value } = emitRecordSql(plan, emit);
  const size = plan.window.size;
  const at = (p: string) => `'epoch'::timestamptz + (${p}::bigint - ${size}) * interval '1 millisecond'`;
  const order = ['t.window_start', ...plan.groupBy.map((g) => `t.${ident(g.column)} COLLATE "C"`)];
  return `INSERT INTO ${EMIT_OUTBOX_TABLE} (job, topic, seq, window_end, key, value)
SELECT $1, $2, $3::bigint + row_number() OVER (ORDER BY ${order.join(', ')}) - 1, t.window_end, ${key}, ${value}
FROM ${ident(plan.table)} AS t
WHERE ($4::bigint IS NULL OR t.window_start > ${at('$4')}) AND t.window_start <= ${at('$5')}`;
}
