// Rows -> Arrow record batches with hand-built column buffers (no per-value Arrow builder calls):
// the fastest path measured for feeding the Parquet encoder. Each appended value is checked against
// the declared type; a value that does not fit throws FieldError naming the field.
//
// Hot path notes (measured with bench/experiments/pipeline.ts): every column kind is its own class,
// so each push/coerce body only ever sees one kind of typed array; the per-row loops over the
// columns are generated per schema, so each column's call site and each `row.field` load stays
// monomorphic; int64 and timestamp (s, ms) values that are safe integers stay plain numbers and are
// written into the BigInt64Array's buffer through an Int32Array view (no BigInt per value);
// ISO-8601 timestamps in the common shapes are parsed by hand; short ASCII strings are copied with a
// charCode loop instead of TextEncoder.encodeInto; buffers are reused from one batch to the next.

import {
  Schema as ArrowSchema,
  TimeUnit as ArrowTimeUnit,
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Struct,
  Timestamp,
  Utf8,
} from 'apache-arrow';
import { describeType, type FieldType, type Schema, type TimeUnit } from '../../job/schema.ts';

export class FieldError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

const UNIT: Record<TimeUnit, ArrowTimeUnit> = {
  s: ArrowTimeUnit.SECOND,
  ms: ArrowTimeUnit.MILLISECOND,
  us: ArrowTimeUnit.MICROSECOND,
  ns: ArrowTimeUnit.NANOSECOND,
};

export function arrowType(ft: FieldType): DataType {
  switch (ft.kind) {
    case 'utf8':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'timestamp':
      return new Timestamp(UNIT[ft.unit], ft.timezone);
    case 'list':
      return new List(new Field('item', arrowType(ft.item), ft.item.nullable));
  }
}

export function arrowSchema(schema: Schema): ArrowSchema {
  return new ArrowSchema(
    Object.entries(schema).map(([name, ft]) => new Field(name, arrowType(ft), ft.nullable)),
  );
}

// ---------------------------------------------------------------------------------------------
// Value parsing

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_RE = /^-?\d{1,19}$/;

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

/** Two ASCII digits at i as a number, or -1. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * `YYYY-MM-DDTHH:MM:SS(.f+)?(Z|±HH:MM)` with every field in range, by hand; NaN for anything else
 * (the caller then asks Date.parse, which decides those shapes exactly as before).
 */
function fastIsoMs(s: string): number {
  const n = s.length;
  if (n < 20 || n > 40) return Number.NaN;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const y1 = digits2(s, 0);
  const y2 = digits2(s, 2);
  const mo = digits2(s, 5);
  const d = digits2(s, 8);
  const h = digits2(s, 11);
  const mi = digits2(s, 14);
  const sec = digits2(s, 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59)
    return Number.NaN;
  if (sec < 0 || sec > 59) return Number.NaN;
  const y = y1 * 100 + y2;
  if (d > 28 && d > daysInMonth(y, mo)) return Number.NaN;
  let p = 19;
  let frac = 0;
  if (s.charCodeAt(p) === 46) {
    // '.': one or more digits, milliseconds are the first three (the rest is cut off, as V8 does)
    p++;
    const start = p;
    while (p < n) {
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 9) break;
      const k = p - start;
      if (k < 3) frac += c * (k === 0 ? 100 : k === 1 ? 10 : 1);
      p++;
    }
    if (p === start) return Number.NaN;
  }
  const z = s.charCodeAt(p);
  let offsetMin = 0;
  if (z === 90) {
    // 'Z'
    if (p + 1 !== n) return Number.NaN;
  } else if (z === 43 || z === 45) {
    // '+' / '-' HH:MM
    if (p + 6 !== n || s.charCodeAt(p + 3) !== 58) return Number.NaN;
    const oh = digits2(s, p + 1);
    const om = digits2(s, p + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMin = oh * 60 + om;
    if (z === 45) offsetMin = -offsetMin;
  } else return Number.NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + (mi - offsetMin) * 60_000 + sec * 1000 + frac;
}

/** Date.parse(s), with the common ISO-8601 shapes parsed by hand (same results). */
export function parseTimestampMs(s: string): number {
  const ms = fastIsoMs(s);
  return Number.isNaN(ms) ? Date.parse(s) : ms;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
    return `${typeof v} ${String(v)}`;
  return typeof v;
}

// Writing a safe-integer number into a BigInt64Array's buffer as two little-endian int32 words.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const INITIAL = 1024;

// ---------------------------------------------------------------------------------------------
// Columns

abstract class Column {
  length = 0;
  /** Validity bitmap, allocated at the first null (all earlier bits set). */
  protected bits: Uint8Array | null = null;
  protected nulls = 0;
  readonly type: DataType;

  constructor(
    readonly name: string,
    readonly ft: FieldType,
  ) {
    this.type = arrowType(ft);
  }

  /** Checks and normalises a value (null for a null); throws FieldError. Appends nothing. */
  abstract coerce(v: unknown): unknown;
  /** Appends a value returned by coerce(); cannot fail, so a row goes into all columns or none. */
  abstract push(v: unknown): void;
  /** The values so far as Arrow data (copied); the column starts empty again, keeping its buffers. */
  abstract finish(): Data;

  protected bad(v: unknown): never {
    throw new FieldError(this.name, `got ${typeName(v)}, expected ${describeType(this.ft)}`);
  }

  /** coerce() of null or undefined. */
  protected nullValue(): null {
    if (!this.ft.nullable)
      throw new FieldError(this.name, `is missing or null but the schema says ${describeType(this.ft)}`);
    return null;
  }

  protected setNull(i: number): void {
    this.nulls++;
    let bits = this.bits;
    if (bits === null) {
      bits = new Uint8Array(Math.max(64, (i >> 3) * 2 + 8));
      bits.fill(0xff, 0, i >> 3);
      if ((i & 7) !== 0) bits[i >> 3] = (1 << (i & 7)) - 1;
      this.bits = bits;
    } else if (i >> 3 >= bits.length) {
      this.growBits(i);
    }
  }

  protected setValid(i: number): void {
    let bits = this.bits!;
    if (i >> 3 >= bits.length) bits = this.growBits(i);
    bits[i >> 3]! |= 1 << (i & 7);
  }

  private growBits(i: number): Uint8Array {
    const next = new Uint8Array(Math.max(this.bits!.length * 2, (i >> 3) + 1));
    next.set(this.bits!);
    this.bits = next;
    return next;
  }

  protected meta(): { length: number; nullCount: number; nullBitmap: Uint8Array | undefined } {
    const length = this.length;
    const out = {
      length,
      nullCount: this.nulls,
      nullBitmap: this.nulls === 0 || this.bits === null ? undefined : this.bits.slice(0, (length + 7) >> 3),
    };
    this.length = 0;
    this.nulls = 0;
    this.bits = null;
    return out;
  }
}

type Grown =
  | Int32Array<ArrayBuffer>
  | Uint8Array<ArrayBuffer>
  | Float64Array<ArrayBuffer>
  | BigInt64Array<ArrayBuffer>;

/** A copy of `a` with room for at least `need` values (doubling). Rare, so one shared helper. */
function grow<T extends Grown>(a: T, need: number): T {
  const n = new (a.constructor as new (length: number) => T)(Math.max(a.length * 2, need));
  n.set(a as never);
  return n;
}

/** Strings shorter than this are copied by a charCode loop while they are ASCII. */
const SHORT_STRING = 64;

class Utf8Column extends Column {
  private offsets = new Int32Array(INITIAL);
  private bytes = new Uint8Array(64 * 1024);
  private pos = 0;
  private readonly enc = new TextEncoder();

  coerce(v: unknown): unknown {
    if (typeof v === 'string') return v;
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }

  push(v: unknown): void {
    const i = this.length++;
    if (i + 2 > this.offsets.length) this.offsets = grow(this.offsets, i + 2);
    let pos = this.pos;
    if (v === null) this.setNull(i);
    else {
      if (this.bits !== null) this.setValid(i);
      const s = v as string;
      const n = s.length;
      if (pos + n * 3 > this.bytes.length) this.bytes = grow(this.bytes, pos + n * 3);
      const bytes = this.bytes;
      let k = 0;
      if (n < SHORT_STRING) {
        for (; k < n; k++) {
          const c = s.charCodeAt(k);
          if (c >= 0x80) break;
          bytes[pos + k] = c;
        }
      }
      if (k === n) pos += n;
      else pos += this.enc.encodeInto(s, bytes.subarray(pos)).written;
      this.pos = pos;
    }
    this.offsets[i + 1] = pos;
  }

  finish(): Data {
    const length = this.length;
    const pos = this.pos;
    this.pos = 0;
    return makeData({
      type: this.type as Utf8,
      ...this.meta(),
      valueOffsets: this.offsets.slice(0, length + 1),
      data: this.bytes.slice(0, pos),
    });
  }
}

class Int32Column extends Column {
  private values = new Int32Array(INITIAL);

  coerce(v: unknown): unknown {
    if (typeof v === 'number' && Number.isInteger(v) && v <= 2147483647 && v >= -2147483648) return v;
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }

  push(v: unknown): void {
    const i = this.length++;
    if (i >= this.values.length) this.values = grow(this.values, i + 1);
    if (v === null) {
      this.setNull(i);
      this.values[i] = 0;
    } else {
      if (this.bits !== null) this.setValid(i);
      this.values[i] = v as number;
    }
  }

  finish(): Data {
    const values = this.values.slice(0, this.length);
    return makeData({ type: this.type as Int32, ...this.meta(), data: values });
  }
}

class Float64Column extends Column {
  private values = new Float64Array(INITIAL);

  coerce(v: unknown): unknown {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }

  push(v: unknown): void {
    const i = this.length++;
    if (i >= this.values.length) this.values = grow(this.values, i + 1);
    if (v === null) {
      this.setNull(i);
      this.values[i] = 0;
    } else {
      if (this.bits !== null) this.setValid(i);
      this.values[i] = v as number;
    }
  }

  finish(): Data {
    const values = this.values.slice(0, this.length);
    return makeData({ type: this.type as Float64, ...this.meta(), data: values });
  }
}

/**
 * 64-bit integers (int64, timestamp). coerce() gives a number (a safe integer) or a bigint; a number
 * is written as two int32 words into the BigInt64Array's buffer, a bigint through the array itself.
 */
abstract class Int64Base extends Column {
  private values = new BigInt64Array(INITIAL);
  private words = new Int32Array(this.values.buffer);

  push(v: unknown): void {
    const i = this.length++;
    if (i >= this.values.length) {
      this.values = grow(this.values, i + 1);
      this.words = new Int32Array(this.values.buffer);
    }
    if (typeof v === 'number') {
      if (this.bits !== null) this.setValid(i);
      if (LITTLE_ENDIAN) {
        const w = this.words;
        w[2 * i] = v | 0;
        w[2 * i + 1] = Math.floor(v / TWO_32);
      } else this.values[i] = BigInt(v);
    } else if (v === null) {
      this.setNull(i);
      this.values[i] = 0n;
    } else {
      if (this.bits !== null) this.setValid(i);
      this.values[i] = v as bigint;
    }
  }

  finish(): Data {
    const values = this.values.slice(0, this.length);
    return makeData({ type: this.type as Int64, ...this.meta(), data: values });
  }
}

class Int64Column extends Int64Base {
  coerce(v: unknown): unknown {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) return v === 0 ? 0 : v; // no -0
      return this.bad(v);
    }
    if (typeof v === 'string') return int64FromString(v) ?? this.bad(v);
    if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v : this.bad(v);
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }
}

/** A number when it is a safe integer, else the exact bigint of that (integral) double. */
function int64Of(x: number): number | bigint {
  return Number.isSafeInteger(x) ? (x === 0 ? 0 : x) : BigInt(x);
}

class TimestampColumn extends Int64Base {
  private readonly unit: TimeUnit;

  constructor(name: string, ft: Extract<FieldType, { kind: 'timestamp' }>) {
    super(name, ft);
    this.unit = ft.unit;
  }

  /**
   * Units s and ms give a number when it is a safe integer; us and ns always a bigint (consumers
   * of SinkRow.values divide those exactly with bigint arithmetic).
   */
  coerce(v: unknown): unknown {
    let ms: number;
    if (typeof v === 'string') ms = parseTimestampMs(v);
    else if (typeof v === 'number') ms = v;
    else if (v instanceof Date) ms = v.getTime();
    else if (typeof v === 'bigint') return v;
    else return v === null || v === undefined ? this.nullValue() : this.bad(v);
    if (!Number.isFinite(ms)) return this.bad(v);
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

class BoolColumn extends Column {
  private values = new Uint8Array(128);

  coerce(v: unknown): unknown {
    if (typeof v === 'boolean') return v;
    return v === null || v === undefined ? this.nullValue() : this.bad(v);
  }

  push(v: unknown): void {
    const i = this.length++;
    if (i >> 3 >= this.values.length) this.values = grow(this.values, (i >> 3) + 1);
    if (v === null) this.setNull(i);
    else {
      if (this.bits !== null) this.setValid(i);
      if (v) this.values[i >> 3]! |= 1 << (i & 7);
    }
  }

  finish(): Data {
    const bytes = (this.length + 7) >> 3;
    const data = this.values.slice(0, bytes);
    this.values.fill(0, 0, bytes);
    return makeData({ type: this.type as Bool, ...this.meta(), data });
  }
}

class ListColumn extends Column {
  private offsets = new Int32Array(INITIAL);
  private readonly child: Column;

  constructor(name: string, ft: Extract<FieldType, { kind: 'list' }>) {
    super(name, ft);
    this.child = makeColumn(`${name}[]`, ft.item);
  }

  /** The array itself when every item is unchanged by the item's coerce(), else a copy. */
  coerce(v: unknown): unknown {
    if (Array.isArray(v)) {
      const child = this.child;
      let out: unknown[] | undefined;
      for (let k = 0; k < v.length; k++) {
        const x: unknown = v[k];
        const c = child.coerce(x);
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

  push(v: unknown): void {
    const i = this.length++;
    if (i + 2 > this.offsets.length) this.offsets = grow(this.offsets, i + 2);
    const child = this.child;
    if (v === null) this.setNull(i);
    else {
      if (this.bits !== null) this.setValid(i);
      const items = v as unknown[];
      for (let k = 0; k < items.length; k++) child.push(items[k]);
    }
    this.offsets[i + 1] = child.length;
  }

  finish(): Data {
    const valueOffsets = this.offsets.slice(0, this.length + 1);
    return makeData({
      type: this.type as List,
      ...this.meta(),
      valueOffsets,
      child: this.child.finish(),
    });
  }
}

function makeColumn(name: string, ft: FieldType): Column {
  switch (ft.kind) {
    case 'utf8':
      return new Utf8Column(name, ft);
    case 'int32':
      return new Int32Column(name, ft);
    case 'float64':
      return new Float64Column(name, ft);
    case 'int64':
      return new Int64Column(name, ft);
    case 'timestamp':
      return new TimestampColumn(name, ft);
    case 'bool':
      return new BoolColumn(name, ft);
    case 'list':
      return new ListColumn(name, ft);
  }
}

type CoerceRow = (row: Record<string, unknown>) => unknown[];
type PushRow = (values: unknown[]) => void;

/**
 * The per-row loops, unrolled for one schema: `[c0.coerce(row["a"]), c1.coerce(row["b"]), ...]` and
 * `c0.push(values[0]); ...`. Unrolled, every call site and every field load sees one shape only.
 */
function compileRowFunctions(names: string[], columns: Column[]): { coerce: CoerceRow; push: PushRow } {
  const params = columns.map((_, c) => `c${c}`);
  const coerceBody = names.map((n, c) => `c${c}.coerce(row[${JSON.stringify(n)}])`).join(',\n    ');
  const pushBody = names.map((_, c) => `c${c}.push(values[${c}]);`).join('\n  ');
  const source = `'use strict';
return {
  coerce: function coerceRow(row) {
    return [
    ${coerceBody}
    ];
  },
  push: function pushRow(values) {
  ${pushBody}
  },
};`;
  const factory = new Function(...params, source) as (...cols: Column[]) => {
    coerce: CoerceRow;
    push: PushRow;
  };
  return factory(...columns);
}

/**
 * Accumulates rows for one output file and cuts them into record batches. A row is appended to
 * every column or to none: a FieldError leaves the builder as it was.
 */
export class RowBatcher {
  private readonly columns: Column[];
  private readonly coerceRow: CoerceRow;
  private readonly pushRow: PushRow;
  readonly arrow: ArrowSchema;
  rows = 0;

  constructor(readonly schema: Schema) {
    this.arrow = arrowSchema(schema);
    const names = Object.keys(schema);
    this.columns = names.map((n) => makeColumn(n, schema[n]!));
    const fns = compileRowFunctions(names, this.columns);
    this.coerceRow = fns.coerce;
    this.pushRow = fns.push;
  }

  /**
   * Checks and normalises a row into schema-ordered values; throws FieldError naming the field.
   * int64 and timestamp(s|ms) values come back as a number when they are safe integers, else as a
   * bigint; timestamp(us|ns) always as a bigint.
   */
  coerce(row: Record<string, unknown>): unknown[] {
    return this.coerceRow(row);
  }

  /** Appends values returned by coerce() (of a batcher with the same schema). */
  push(values: unknown[]): void {
    this.pushRow(values);
    this.rows++;
  }

  /** Appends a row to every column, or throws FieldError and appends nothing. */
  append(row: Record<string, unknown>): void {
    this.push(this.coerce(row));
  }

  /** The rows so far as one record batch; the batcher starts empty again. */
  flush(): RecordBatch {
    const children = this.columns.map((c) => c.finish());
    const data = makeData({ type: new Struct(this.arrow.fields), length: this.rows, nullCount: 0, children });
    const batch = new RecordBatch(this.arrow, data);
    this.rows = 0;
    return batch;
  }
}
