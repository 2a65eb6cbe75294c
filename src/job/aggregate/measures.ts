// Measures, pure: how one row adds to a window's accumulator, how two accumulators merge (the same
// rule PostgreSQL applies on upsert: count and sum add, min/max take least/greatest, countDistinct
// unions exact sets), and the JSON each accumulator travels to PostgreSQL as.

import type { TimeUnit } from '../schema.ts';

export type MeasureOp = 'count' | 'sum' | 'min' | 'max' | 'countDistinct';

/**
 * The value domain of a measure's field: `int` (int32/int64, kept as bigint), `float` (float64),
 * `time` (timestamp, bigint in the field's unit), `text`, `bool`; `any` for countDistinct of other types.
 */
export type ValueKind = 'int' | 'float' | 'time' | 'text' | 'bool' | 'any';

export interface Measure {
  /** Column name (the key in `aggregate.measures`). */
  name: string;
  op: MeasureOp;
  /** Field name and its index in SinkRow.values; absent for count. */
  field?: string;
  index: number;
  kind: ValueKind;
  /** Unit of a `time` field. */
  unit?: TimeUnit;
}

/** count: number; sum: bigint (int) or number (float); min/max: value or null; countDistinct: set of strings. */
export type Acc = number | bigint | string | boolean | null | Set<string>;

export function initAcc(m: Measure): Acc {
  switch (m.op) {
    case 'count':
      return 0;
    case 'sum':
      return m.kind === 'int' ? 0n : 0;
    case 'min':
    case 'max':
      return null;
    case 'countDistinct':
      return new Set<string>();
  }
}

/** Normalises a schema-checked value into the measure's domain (null stays null: SQL aggregates skip nulls). */
function normalise(m: Measure, v: unknown): number | bigint | string | boolean | null {
  if (v === null || v === undefined) return null;
  switch (m.kind) {
    case 'int':
    case 'time':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'float':
      return Number(v);
    case 'text':
      return String(v);
    case 'bool':
      return Boolean(v);
    case 'any':
      return distinctKey(v);
  }
}

/** The text a value counts as in a countDistinct set. */
export function distinctKey(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function less(a: number | bigint | string | boolean, b: number | bigint | string | boolean): boolean {
  return a < b;
}

function pick(op: 'min' | 'max', a: Acc, b: Acc): Acc {
  if (a === null) return b;
  if (b === null) return a;
  const x = a as number | bigint | string | boolean;
  const y = b as number | bigint | string | boolean;
  return op === 'min' ? (less(y, x) ? y : x) : less(x, y) ? y : x;
}

/** Adds one row's values (in schema order) to the accumulator; returns the new accumulator. */
export function addValue(m: Measure, acc: Acc, values: readonly unknown[]): Acc {
  if (m.op === 'count') return (acc as number) + 1;
  const x = values[m.index];
  // The set's text of a checked number is String(x) in every kind (int64 and ms/s timestamps are
  // safe integers when numbers): no BigInt on the way, as normalise() would make.
  if (m.op === 'countDistinct' && typeof x === 'number' && m.kind !== 'bool') {
    (acc as Set<string>).add(String(x));
    return acc;
  }
  const v = normalise(m, x);
  if (v === null) return acc;
  switch (m.op) {
    case 'sum':
      return typeof acc === 'bigint' ? acc + (v as bigint) : (acc as number) + (v as number);
    case 'min':
    case 'max':
      return pick(m.op, acc, v);
    case 'countDistinct':
      (acc as Set<string>).add(typeof v === 'string' ? v : distinctKey(v));
      return acc;
  }
}

/** Merges b into a (a may be reused); commutative and associative, so merge order never matters. */
export function mergeAcc(m: Measure, a: Acc, b: Acc): Acc {
  switch (m.op) {
    case 'count':
      return (a as number) + (b as number);
    case 'sum':
      return typeof a === 'bigint' ? a + (b as bigint) : (a as number) + (b as number);
    case 'min':
    case 'max':
      return pick(m.op, a, b);
    case 'countDistinct': {
      const set = a as Set<string>;
      for (const v of b as Set<string>) set.add(v);
      return set;
    }
  }
}

/** Copies an accumulator (sets are mutable; the rest are values). */
export function cloneAcc(a: Acc): Acc {
  return a instanceof Set ? new Set(a) : a;
}

const MICROS_PER: Record<TimeUnit, { mul: bigint; div: bigint }> = {
  s: { mul: 1_000_000n, div: 1n },
  ms: { mul: 1000n, div: 1n },
  us: { mul: 1n, div: 1n },
  ns: { mul: 1n, div: 1000n },
};

/** A timestamp in the field's unit -> microseconds since the epoch (PostgreSQL's resolution), floored. */
export function toMicros(v: bigint, unit: TimeUnit): bigint {
  const { mul, div } = MICROS_PER[unit];
  const x = v * mul;
  if (div === 1n) return x;
  const q = x / div;
  return x < 0n && q * div !== x ? q - 1n : q;
}

/**
 * The accumulator as JSON for jsonb_to_recordset: numbers that may exceed 2^53 or be NaN/Infinity
 * travel as strings (PostgreSQL parses them with the column's input function); sets as sorted arrays.
 */
export function accToJson(m: Measure, acc: Acc): unknown {
  if (acc === null) return null;
  if (acc instanceof Set) return [...acc].sort();
  if (m.op === 'count') return acc;
  if (m.kind === 'time') return toMicros(acc as bigint, m.unit ?? 'ms').toString();
  if (typeof acc === 'bigint' || typeof acc === 'number') return String(acc);
  return acc;
}
