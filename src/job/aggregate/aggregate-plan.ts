// The job's `aggregate` section compiled against its schema, once at start: table name, group-by
// and measure fields resolved to their positions in a checked row, the event-time reader, and every
// mistake (unknown field, sum of a text field, clashing column names) reported as a config error.
// Pure, and in the job layer (with windows.ts and measures.ts) because every job is checked whole
// when it is loaded (job-checks.ts); src/aggregator/ is the runtime that consumes and stores.

import { Errors } from '../../errors.ts';
import type { AggregateSpec, JobSpec } from '../job-spec.ts';
import type { FieldType, TimeUnit } from '../schema.ts';
import type { Measure, ValueKind } from './measures.ts';
import { checkWindowSpec, type WindowSpec } from './windows.ts';

export type EventTimeSource =
  | { kind: 'kafka' }
  | { kind: 'field'; field: string; index: number; type: FieldType };

export interface AggregatePlan {
  job: string;
  /** PostgreSQL table of window rows. */
  table: string;
  /** The job's topics (a pattern as its source), recorded as the table owner's. */
  topics: string[];
  /** Group-by columns (text), in the spec's order, with their row positions. */
  groupBy: { column: string; index: number }[];
  eventTime: EventTimeSource;
  window: WindowSpec;
  allowedLateness: number;
  measures: Measure[];
}

/** Columns every window table has besides the group-by and measure columns. */
export const FIXED_COLUMNS = ['window_start', 'window_end', 'updated_at'] as const;
const MAX_IDENTIFIER = 63;

/** `<job>_agg`, folded to a PostgreSQL identifier (lower case, other characters as `_`). */
export function defaultTable(job: string): string {
  return `${job.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_agg`.replace(/^([0-9])/, '_$1');
}

function kindOf(ft: FieldType): ValueKind {
  switch (ft.kind) {
    case 'int32':
    case 'int64':
      return 'int';
    case 'float64':
      return 'float';
    case 'timestamp':
      return 'time';
    case 'utf8':
      return 'text';
    case 'bool':
      return 'bool';
    case 'list':
      return 'any';
  }
}

export function planAggregate(spec: JobSpec): AggregatePlan {
  const agg: AggregateSpec | undefined = spec.aggregate;
  const bad = (msg: string) => Errors.config(`job '${spec.name}' aggregate: ${msg}`, { job: spec.name });
  if (agg === undefined) throw bad("no 'aggregate' section; add one to run 'krange aggregate'");
  const fields = Object.keys(spec.schema);
  const field = (name: string, what: string): { index: number; type: FieldType } => {
    const index = fields.indexOf(name);
    const type = spec.schema[name];
    if (index < 0 || type === undefined)
      throw bad(`${what} '${name}' is not a schema field (fields: ${fields.join(', ')})`);
    return { index, type };
  };

  const table = agg.table ?? defaultTable(spec.name);
  if (table.length > MAX_IDENTIFIER)
    throw bad(`table name '${table}' is longer than ${MAX_IDENTIFIER} characters; set aggregate.table`);

  const groupBy = agg.groupBy.map((name) => {
    const { index, type } = field(name, 'groupBy field');
    if (type.kind === 'list') throw bad(`groupBy field '${name}' is a list; group by scalar fields`);
    return { column: name, index };
  });

  let eventTime: EventTimeSource = { kind: 'kafka' };
  if (agg.eventTime !== 'kafka') {
    const { index, type } = field(agg.eventTime.field, 'eventTime field');
    if (type.kind === 'list' || type.kind === 'bool') {
      throw bad(
        `eventTime field '${agg.eventTime.field}' must be a timestamp, a number of ms or an ISO string`,
      );
    }
    eventTime = { kind: 'field', field: agg.eventTime.field, index, type };
  }

  const measures: Measure[] = Object.entries(agg.measures).map(([name, m]) => {
    if (m.op === 'count') return { name, op: 'count', index: -1, kind: 'int' };
    const { index, type } = field(m.field, `measure '${name}' field`);
    const kind = kindOf(type);
    if (m.op === 'sum' && kind !== 'int' && kind !== 'float') {
      throw bad(`measure '${name}': sum needs a numeric field, '${m.field}' is ${type.kind}`);
    }
    if ((m.op === 'min' || m.op === 'max') && kind === 'any') {
      throw bad(`measure '${name}': ${m.op} needs a scalar field, '${m.field}' is a list`);
    }
    const unit: TimeUnit | undefined = type.kind === 'timestamp' ? type.unit : undefined;
    return { name, op: m.op, field: m.field, index, kind, ...(unit === undefined ? {} : { unit }) };
  });
  if (measures.length === 0) throw bad('declare at least one measure');

  const columns = new Set<string>(FIXED_COLUMNS);
  const claim = (c: string, what: string) => {
    if (columns.has(c)) throw bad(`${what} '${c}' clashes with another column of table '${table}'`);
    if (c.length > MAX_IDENTIFIER) throw bad(`${what} '${c}' is longer than ${MAX_IDENTIFIER} characters`);
    columns.add(c);
  };
  for (const g of groupBy) claim(g.column, 'groupBy column');
  for (const m of measures) {
    claim(m.name, 'measure');
    if (m.op === 'countDistinct') claim(`${m.name}_set`, 'countDistinct set column');
  }

  const window = { size: agg.window.size, slide: agg.window.slide ?? agg.window.size };
  const werr = checkWindowSpec(window);
  if (werr !== undefined) throw bad(werr);

  return {
    job: spec.name,
    table,
    topics: Array.isArray(spec.topics) ? [...spec.topics].sort() : [String(spec.topics)],
    groupBy,
    eventTime,
    window,
    allowedLateness: agg.allowedLateness,
    measures,
  };
}

/**
 * What eventTimeOf reads of a checked row (records/record.ts `CheckedRow`), named structurally so
 * the job layer needs nothing from the records layer above it.
 */
export interface TimedValues {
  timestamp: number;
  values: readonly unknown[];
}

const MS_DIVISOR: Record<TimeUnit, bigint> = { s: 1n, ms: 1n, us: 1000n, ns: 1_000_000n };

/** A row's event time in ms, or the reason it has none (the record is then a bad record). */
export function eventTimeOf(src: EventTimeSource, row: TimedValues): number | string {
  if (src.kind === 'kafka') return row.timestamp;
  const v = row.values[src.index];
  if (v === null || v === undefined) return `event time field '${src.field}' is null`;
  let ms: number;
  if (src.type.kind === 'timestamp') {
    const unit = src.type.unit;
    // A checked timestamp is a number (safe integer, units s and ms) or a bigint.
    if (typeof v === 'number' && (unit === 's' || unit === 'ms')) ms = unit === 's' ? v * 1000 : v;
    else {
      const b = typeof v === 'bigint' ? v : BigInt(v as number);
      if (unit === 's') ms = Number(b) * 1000;
      else {
        const d = MS_DIVISOR[unit];
        const q = b / d;
        ms = Number(b < 0n && q * d !== b ? q - 1n : q);
      }
    }
  } else if (typeof v === 'string') ms = Date.parse(v);
  else ms = Math.floor(Number(v));
  if (!Number.isFinite(ms)) return `event time field '${src.field}' is not a time: ${String(v)}`;
  return ms;
}

/** A group-by value as the text stored in its column (null as the empty string: key columns are NOT NULL). */
export function groupValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
