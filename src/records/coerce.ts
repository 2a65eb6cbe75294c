// The schema contract: a row (the transform's output) -> its values in schema field order, each
// checked against the declared type and normalised, or a FieldError naming the field. Every sink
// writes these checked values; nothing here knows a sink's format (no Arrow buffers).
//
// Hot path notes: each field kind is its own class, so each check() body sees one kind of value; the
// per-row loop is generated per schema, so each field's call site and `row.field` load stays
// monomorphic. int64 and timestamp (s, ms) values that are safe integers stay plain numbers.

import { describeType, type FieldType, type Schema, type TimeUnit } from '../job/schema.ts';
import { parseTimestampMs } from './time.ts';

/** A value that does not fit its field; `field` is the schema path (`tags[]` for a list item). */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_RE = /^-?\d{1,19}$/;
const INT64_RANGE = `${INT64_MIN} to ${INT64_MAX}`;

/**
 * A decimal int64 string: a number for up to 15 digits (always a safe integer), else an exact
 * bigint; undefined unless it matches /^-?\d{1,19}$/ and fits int64.
 */
export function int64FromString(s: string): number | bigint | undefined {
  const n = s.length;
  const neg = n > 0 && s.charCodeAt(0) === 45; // '-'
  let i = neg ? 1 : 0;
  const digits = n - i;
  if (digits >= 1 && digits <= 15) {
    let x = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      x = x * 10 + d;
    }
    return neg && x !== 0 ? -x : x;
  }
  if (!INT64_RE.test(s)) return undefined;
  const b = BigInt(s);
  return b >= INT64_MIN && b <= INT64_MAX ? b : undefined;
}

/** How a value is named in an error: its type and the value as it was given. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
    return `${typeof v} ${String(v)}`;
  return typeof v;
}

abstract class FieldCheck {
  constructor(
    readonly name: string,
    readonly ft: FieldType,
  ) {}

  /** The value checked and normalised (null for a null or a missing value); throws FieldError. */
  abstract check(v: unknown): unknown;

  protected bad(v: unknown): never {
    throw new FieldError(this.name, `got ${typeName(v)}, expected ${describeType(this.ft)}`);
  }

  /** A value of the right kind whose magnitude the type cannot hold: never wrapped or clamped. */
  protected outOfRange(v: unknown, range: string): never {
    throw new FieldError(
      this.name,
      `got ${typeName(v)}, out of range for ${describeType(this.ft)} (${range})`,
    );
  }

  /** check() of null or undefined. */
  protected nullValue(): null {
    if (!this.ft.nullable)
      throw new FieldError(this.name, `is missing or null but the schema says ${describeType(this.ft)}`);
    return null;
  }
}

class Utf8Check extends FieldCheck {
  check(v: unknown): unknown {
    if (typeof v === 'string') return v;
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

class Int32Check extends FieldCheck {
  check(v: unknown): unknown {
    if (typeof v === 'number' && Number.isInteger(v) && v <= 2147483647 && v >= -2147483648) return v;
    if (typeof v === 'number' && Number.isInteger(v)) this.outOfRange(v, '-2147483648 to 2147483647');
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

class Float64Check extends FieldCheck {
  check(v: unknown): unknown {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') {
      const x = Number(v);
      return Number.isFinite(x) ? x : this.outOfRange(v, 'finite doubles, up to about 1.8e308');
    }
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

class BoolCheck extends FieldCheck {
  check(v: unknown): unknown {
    if (typeof v === 'boolean') return v;
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

class Int64Check extends FieldCheck {
  check(v: unknown): unknown {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) return v === 0 ? 0 : v; // no -0
      return this.bad(v);
    }
    if (typeof v === 'string') {
      const x = int64FromString(v);
      if (x !== undefined) return x;
      return /^-?\d+$/.test(v) ? this.outOfRange(v, INT64_RANGE) : this.bad(v);
    }
    if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v : this.outOfRange(v, INT64_RANGE);
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

/** A number when it is a safe integer, else the exact bigint of that (integral) double. */
function int64Of(x: number): number | bigint {
  return Number.isSafeInteger(x) ? (x === 0 ? 0 : x) : BigInt(x);
}

/**
 * The instants a timestamp field holds, in ms: those a JavaScript Date can name (±8.64e15 ms, years
 * -271821 to 275760, which Mongo, DuckDB and Spark read too) whose value in the field's unit fits int64
 * (for ns: 1677-09-21 to 2262-04-11).
 */
const DATE_LIMIT_MS = 8.64e15;
const UNIT_PER_MS = { s: 0.001, ms: 1, us: 1000, ns: 1_000_000 } as const;

function timestampRange(unit: TimeUnit): { minMs: number; maxMs: number; min: bigint; max: bigint } {
  if (unit === 'ns') {
    // int64 ns: floor/ceil to whole ms inside the int64 limits
    const minMs = Number(INT64_MIN / 1_000_000n);
    const maxMs = Number(INT64_MAX / 1_000_000n);
    return { minMs, maxMs, min: INT64_MIN, max: INT64_MAX };
  }
  const per = UNIT_PER_MS[unit];
  const min = BigInt(Math.ceil(-DATE_LIMIT_MS * per));
  const max = BigInt(Math.floor(DATE_LIMIT_MS * per));
  return { minMs: -DATE_LIMIT_MS, maxMs: DATE_LIMIT_MS, min, max };
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

class TimestampCheck extends FieldCheck {
  private readonly unit: TimeUnit;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly min: bigint;
  private readonly max: bigint;

  constructor(name: string, ft: Extract<FieldType, { kind: 'timestamp' }>) {
    super(name, ft);
    this.unit = ft.unit;
    const r = timestampRange(ft.unit);
    this.minMs = r.minMs;
    this.maxMs = r.maxMs;
    this.min = r.min;
    this.max = r.max;
  }

  private range(): string {
    return `${isoOf(this.minMs)} to ${isoOf(this.maxMs)}`;
  }

  /**
   * A string is ISO-8601 (or what Date.parse reads), a number is epoch ms, a bigint is already in
   * the field's unit. Units s and ms give a number when it is a safe integer; us and ns always a
   * bigint (consumers of the values divide those exactly with bigint arithmetic). An instant
   * outside the unit's range is refused, never wrapped.
   */
  check(v: unknown): unknown {
    let ms: number;
    if (typeof v === 'string') ms = parseTimestampMs(v);
    else if (typeof v === 'number') ms = v;
    else if (v instanceof Date) ms = v.getTime();
    else if (typeof v === 'bigint')
      return v >= this.min && v <= this.max ? v : this.outOfRange(v, this.range());
    else return v === null || v === undefined ? this.nullValue() : this.bad(v);
    if (!(ms >= this.minMs && ms <= this.maxMs)) {
      return Number.isFinite(ms) ? this.outOfRange(v, this.range()) : this.bad(v);
    }
    switch (this.unit) {
      case 's':
        return int64Of(Math.floor(ms / 1000));
      case 'ms':
        return int64Of(Math.trunc(ms));
      case 'us':
        return BigInt(Math.trunc(ms * 1000));
      case 'ns':
        return BigInt(Math.trunc(ms)) * 1_000_000n;
    }
  }
}

class ListCheck extends FieldCheck {
  private readonly item: FieldCheck;

  constructor(name: string, ft: Extract<FieldType, { kind: 'list' }>) {
    super(name, ft);
    this.item = fieldCheck(`${name}[]`, ft.item);
  }

  /** The array itself when every item is unchanged by the item's check(), else a copy. */
  check(v: unknown): unknown {
    if (Array.isArray(v)) {
      const item = this.item;
      let out: unknown[] | undefined;
      for (let k = 0; k < v.length; k++) {
        const x: unknown = v[k];
        const c = item.check(x);
        if (out !== undefined) out[k] = c;
        else if (c !== x) {
          out = v.slice(0, k);
          out[k] = c;
        }
      }
      return out ?? v;
    }
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

function fieldCheck(name: string, ft: FieldType): FieldCheck {
  switch (ft.kind) {
    case 'utf8':
      return new Utf8Check(name, ft);
    case 'int32':
      return new Int32Check(name, ft);
    case 'float64':
      return new Float64Check(name, ft);
    case 'int64':
      return new Int64Check(name, ft);
    case 'timestamp':
      return new TimestampCheck(name, ft);
    case 'bool':
      return new BoolCheck(name, ft);
    case 'list':
      return new ListCheck(name, ft);
  }
}

type CheckRow = (row: Record<string, unknown>) => unknown[];
type CheckValues = (raw: unknown[]) => unknown[];

/**
 * The per-row loop unrolled for one schema: `[c0.check(row["a"]), c1.check(row["b"]), ...]`, so every
 * call site and every field load sees one shape only.
 */
function compileCheckRow(names: string[], checks: FieldCheck[]): CheckRow {
  const params = checks.map((_, c) => `c${c}`);
  const body = names.map((n, c) => `c${c}.check(row[${JSON.stringify(n)}])`).join(',\n    ');
  const source = `'use strict';
return function checkRow(row) {
  return [
    ${body}
  ];
};`;
  const factory = new Function(...params, source) as (...c: FieldCheck[]) => CheckRow;
  return factory(...checks);
}

/** The same loop over raw values already in schema order (the fast path's). */
function compileCheckValues(checks: FieldCheck[]): CheckValues {
  const params = checks.map((_, c) => `c${c}`);
  const body = checks.map((_, c) => `c${c}.check(raw[${c}])`).join(',\n    ');
  const source = `'use strict';
return function checkValues(raw) {
  return [
    ${body}
  ];
};`;
  const factory = new Function(...params, source) as (...c: FieldCheck[]) => CheckValues;
  return factory(...checks);
}

/** U+FFFD, which a UTF-8 decoder puts where the bytes were not valid UTF-8. */
const REPLACEMENT = '\uFFFD';

/** Checks rows against one schema. */
export class RowChecker {
  readonly check: CheckRow;
  /** check() of raw values in schema order (a FieldCheck each, the same as check() uses). */
  readonly checkValues: CheckValues;
  /** utf8 and list<utf8> fields: [index in values, name]. */
  private readonly textFields: [number, string][];

  constructor(readonly schema: Schema) {
    const names = Object.keys(schema);
    const checks = names.map((n) => fieldCheck(n, schema[n]!));
    this.check = compileCheckRow(names, checks);
    this.checkValues = compileCheckValues(checks);
    this.textFields = names.flatMap((n, i): [number, string][] => {
      const ft = schema[n]!;
      if (ft.kind === 'utf8') return [[i, n]];
      return ft.kind === 'list' && ft.item.kind === 'utf8' ? [[i, `${n}[]`]] : [];
    });
  }

  /**
   * The first utf8 field of checked values holding U+FFFD, or undefined. A string with no
   * character above U+00FF is stored one byte per character by V8, and a search for U+FFFD in it
   * returns at once, so this costs almost nothing on ordinary rows.
   */
  replacedText(values: unknown[]): string | undefined {
    for (const [i, name] of this.textFields) {
      const v = values[i];
      if (typeof v === 'string') {
        if (v.includes(REPLACEMENT)) return name;
      } else if (Array.isArray(v)) {
        for (const x of v) if (typeof x === 'string' && x.includes(REPLACEMENT)) return name;
      }
    }
    return undefined;
  }
}
