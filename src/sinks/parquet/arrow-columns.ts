// Checked rows (records/coerce.ts) -> Arrow record batches with hand-built column buffers (no
// per-value Arrow builder calls): the fastest path measured for feeding the Parquet encoder. Values
// arrive already checked, so appending cannot fail and a row goes into every column or none.
//
// Hot path notes (measured with bench/experiments/pipeline.ts): every column kind is its own class,
// so each push body only ever sees one kind of typed array; the per-row loop over the columns is
// generated per schema, so each column's call site stays monomorphic; int64 and timestamp (s, ms)
// values that are safe integers stay plain numbers and are written into the BigInt64Array's buffer
// through an Int32Array view (no BigInt per value); short ASCII strings are copied with a charCode
// loop instead of TextEncoder.encodeInto; buffers are reused from one batch to the next.

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
import type { FieldType, Schema, TimeUnit } from '../../job/schema.ts';

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

const TWO_32 = 4294967296;

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

  /** Appends a checked value (records/coerce.ts); cannot fail, so a row goes into all columns or none. */
  abstract push(v: unknown): void;
  /** The values so far as Arrow data (copied); the column starts empty again, keeping its buffers. */
  abstract finish(): Data;

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
 * 64-bit integers (int64 and timestamp: one class, so push() sees one shape). A checked value is a
 * number (a safe integer) or a bigint; a number is written as two int32 words into the
 * BigInt64Array's buffer, a bigint through the array itself.
 */
class Int64Column extends Column {
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

class BoolColumn extends Column {
  private values = new Uint8Array(128);

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
    case 'timestamp':
      return new Int64Column(name, ft);
    case 'bool':
      return new BoolColumn(name, ft);
    case 'list':
      return new ListColumn(name, ft);
  }
}

type PushRow = (values: unknown[]) => void;

/** The per-row loop unrolled for one schema: `c0.push(values[0]); c1.push(values[1]); ...`. */
function compilePushRow(columns: Column[]): PushRow {
  const params = columns.map((_, c) => `c${c}`);
  const body = columns.map((_, c) => `c${c}.push(values[${c}]);`).join('\n  ');
  const source = `'use strict';
return function pushRow(values) {
  ${body}
};`;
  const factory = new Function(...params, source) as (...cols: Column[]) => PushRow;
  return factory(...columns);
}

/** Accumulates checked rows for one output file and cuts them into record batches. */
export class RowBatcher {
  private readonly columns: Column[];
  private readonly pushRow: PushRow;
  readonly arrow: ArrowSchema;
  rows = 0;

  constructor(readonly schema: Schema) {
    this.arrow = arrowSchema(schema);
    const names = Object.keys(schema);
    this.columns = names.map((n) => makeColumn(n, schema[n]!));
    this.pushRow = compilePushRow(this.columns);
  }

  /** Appends a row's checked values (CheckedRow.values of the same schema). */
  push(values: unknown[]): void {
    this.pushRow(values);
    this.rows++;
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
