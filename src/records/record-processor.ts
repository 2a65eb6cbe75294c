// One Kafka record -> rows for the sinks: decode, transform, check against the schema. Any failure
// becomes a BadRecord naming topic, partition, offset, the field and the reason; the caller applies
// the job's onBadRecord policy. Runs inside the worker threads.

import { isUtf8 } from 'node:buffer';
import type { DecodedRecord, JobSpec, Row, Transform } from '../job/job-spec.ts';
import { FieldError, RowChecker } from './coerce.ts';
import { decoderFor, type RecordDecode, textParserFor, valueTextOf } from './decoders.ts';
import { columnsTransform, DECLINE, FastPath, fastPathEnabled, filterFor } from './fast-path.ts';
import type { BadRecord, CheckedRow, RawRecord } from './record.ts';

/** The reason given for a utf8 field fed with bytes that are not UTF-8 (the fast path says the same). */
export const INVALID_UTF8 =
  "holds bytes that are not valid UTF-8 (the record's raw bytes go to the dead letter); fix the producer, or set invalidUtf8: 'replace' in the job to store U+FFFD in their place";

function schemaBad(r: RawRecord, offset: string, field: string, message: string): BadRecord {
  return badRecord(r, offset, 'schema', `value does not fit the schema: '${field}' ${message}`, field);
}

/** A row of the fast path: its `row` (for a Mongo id() or a dead letter) is built only when read. */
class FastRow implements CheckedRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: number;

  constructor(
    private readonly names: string[],
    /** The values as read, before the schema check: what the row object holds on the JSON.parse path. */
    private readonly raw: unknown[],
    readonly values: unknown[],
    r: RawRecord,
    readonly seq: number,
  ) {
    this.topic = r.topic;
    this.partition = r.partition;
    this.offset = r.offset;
    this.timestamp = r.timestamp;
  }

  get row(): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < this.names.length; i++) row[this.names[i]!] = this.raw[i];
    return row;
  }
}

/**
 * A row of the JSON.parse path: a class (one shape) whose offset becomes a BigInt only when a sink
 * reads it (the Parquet sink never does).
 */
class TaskRow implements CheckedRow {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;

  constructor(
    readonly row: Row,
    readonly values: unknown[],
    r: RawRecord,
    /** The offset's decimal text (not the record, which holds its whole fetch buffer). */
    private readonly offsetText: string,
    readonly seq: number,
  ) {
    this.topic = r.topic;
    this.partition = r.partition;
    this.timestamp = r.timestamp;
  }

  get offset(): bigint {
    return BigInt(this.offsetText);
  }
}

export type Processed = { ok: true; rows: CheckedRow[] } | { ok: false; bad: BadRecord };

/** Built only when a record fails: a closure per record would cost an allocation (and, under tsx, a __name call) on the hot path. */
function badRecord(
  r: RawRecord,
  offset: string,
  stage: BadRecord['stage'],
  reason: string,
  field?: string,
): BadRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset,
    stage,
    reason,
    key: r.key,
    value: r.value,
    ...(field === undefined ? {} : { field }),
  };
}

/**
 * What a transform receives. A class, not an object literal with a getter (measured ~400 ns per
 * record against ~35): the key becomes a Buffer only when the transform reads it.
 */
class Decoded implements DecodedRecord {
  readonly #raw: RawRecord;
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
  readonly headers: Record<string, string>;

  constructor(
    raw: RawRecord,
    readonly offset: string,
    public value: unknown,
  ) {
    this.#raw = raw;
    this.topic = raw.topic;
    this.partition = raw.partition;
    this.timestamp = raw.timestamp;
    this.headers = raw.headers;
  }

  get key(): Buffer | null {
    return this.#raw.key;
  }
}

/** U+FFFD: what a UTF-8 decoder puts in place of bytes that are not UTF-8. */
const REPLACEMENT = '\uFFFD';

export class RecordProcessor {
  private readonly decode: RecordDecode;
  /** json and string decoders: the value's text -> value (the text is decoded in processInto). */
  private readonly parseText: ((text: string) => unknown) | undefined;
  private readonly transform: Transform | undefined;
  private readonly checker: RowChecker;
  private readonly rejectInvalidUtf8: boolean;
  private readonly names: string[];
  private readonly prepareValues: ((values: (Buffer | null)[]) => Promise<void>) | undefined;

  /** Set when the job can read its fields straight from the bytes (fast-path.ts). */
  private readonly fast: FastPath | undefined;
  /** The job's `where`, for the fast path (the JSON.parse path applies it in columnsTransform). */
  private readonly keep: ((raw: unknown[]) => boolean) | undefined;

  constructor(spec: JobSpec) {
    this.decode = decoderFor(spec.decoder);
    this.parseText = textParserFor(spec.decoder);
    this.prepareValues = typeof spec.decoder === 'object' ? spec.decoder.prepare : undefined;
    this.transform = spec.transform ?? columnsTransform(spec);
    // Off unless asked for: on the demo events the scanner measured ~20% slower than JSON.parse
    // (BENCHMARKS.md), so it stays opt-in until it writes Arrow buffers without JS strings.
    this.fast = fastPathEnabled(spec) ? new FastPath(spec) : undefined;
    this.keep = filterFor(spec);
    this.checker = new RowChecker(spec.schema);
    this.names = Object.keys(spec.schema);
    // Only where the value's bytes are the text: a binary value (bytes, a custom decoder) is not UTF-8.
    this.rejectInvalidUtf8 =
      spec.invalidUtf8 === 'badRecord' && (spec.decoder === 'json' || spec.decoder === 'string');
  }

  /**
   * To await before processing a batch when the decoder prepares batches (schemas fetched from a
   * registry); undefined otherwise, so the common path awaits nothing.
   */
  prepare(records: readonly { readonly value: Buffer | null }[]): Promise<void> | undefined {
    return this.prepareValues?.(records.map((r) => r.value));
  }

  process(r: RawRecord): Processed {
    const rows: CheckedRow[] = [];
    const bad = this.processInto(r, rows);
    return bad === undefined ? { ok: true, rows } : { ok: false, bad };
  }

  /**
   * The hot path of process(): appends the record's rows to `out` and returns undefined, or
   * returns the BadRecord and appends nothing. No result object or array per record.
   */
  processInto(r: RawRecord, out: CheckedRow[]): BadRecord | undefined {
    const offset = r.offsetText !== undefined ? r.offsetText() : r.offset.toString();
    if (this.fast !== undefined) {
      const raw = this.fast.extract(r, offset);
      if (raw !== DECLINE) return this.addRaw(r, offset, raw, out);
    }
    let value: unknown;
    // Whether a text field of the row may hold U+FFFD from bytes that are not UTF-8: only when the
    // value's own text holds one (invalid bytes decode to it). A search in a text of one-byte
    // characters returns at once, so ordinary records skip the per-field search (invalidUtf8).
    let replaced = true;
    try {
      if (this.parseText !== undefined) {
        const text = valueTextOf(r);
        replaced = text?.includes(REPLACEMENT) === true;
        value = text === null ? null : this.parseText(text);
      } else value = this.decode(r);
    } catch (err) {
      return badRecord(r, offset, 'decode', `cannot decode value: ${(err as Error).message}`);
    }
    const record = new Decoded(r, offset, value);
    let res: Row | Row[] | null | undefined;
    try {
      res = this.transform ? this.transform(record) : (value as Row);
    } catch (err) {
      return badRecord(r, offset, 'transform', `transform threw: ${(err as Error).message}`);
    }
    if (res === null || res === undefined) return undefined;
    if (!Array.isArray(res)) return this.add(r, offset, res, 0, out, replaced);
    const before = out.length;
    for (let seq = 0; seq < res.length; seq++) {
      const bad = this.add(r, offset, res[seq], seq, out, replaced);
      if (bad !== undefined) {
        out.length = before;
        return bad;
      }
    }
    return undefined;
  }

  /** A fast-path row: raw values in schema order, checked exactly as add() checks a row. */
  private addRaw(r: RawRecord, offset: string, raw: unknown[], out: CheckedRow[]): BadRecord | undefined {
    if (this.keep !== undefined && !this.keep(raw)) return undefined;
    let values: unknown[];
    try {
      values = this.checker.checkValues(raw);
    } catch (err) {
      if (err instanceof FieldError) return schemaBad(r, offset, err.field, err.message);
      throw err;
    }
    const bad = this.invalidUtf8(r, offset, values);
    if (bad !== undefined) return bad;
    out.push(new FastRow(this.names, raw, values, r, 0));
    return undefined;
  }

  /** A utf8 value holding U+FFFD from bytes that were not valid UTF-8, when the job refuses those. */
  private invalidUtf8(r: RawRecord, offset: string, values: unknown[]): BadRecord | undefined {
    if (!this.rejectInvalidUtf8) return undefined;
    const field = this.checker.replacedText(values);
    // U+FFFD is a legal character: only a record whose bytes are not valid UTF-8 is refused.
    if (field !== undefined && r.value !== null && !isUtf8(r.value))
      return schemaBad(r, offset, field, INVALID_UTF8);
    return undefined;
  }

  private add(
    r: RawRecord,
    offset: string,
    row: unknown,
    seq: number,
    out: CheckedRow[],
    replaced: boolean,
  ): BadRecord | undefined {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      return badRecord(
        r,
        offset,
        'transform',
        `transform returned ${row === null ? 'null' : typeof row} instead of a row object`,
      );
    }
    try {
      const values = this.checker.check(row as Row);
      if (replaced) {
        const bad = this.invalidUtf8(r, offset, values);
        if (bad !== undefined) return bad;
      }
      out.push(new TaskRow(row as Row, values, r, offset, seq));
      return undefined;
    } catch (err) {
      if (err instanceof FieldError) return schemaBad(r, offset, err.field, err.message);
      throw err;
    }
  }
}
