// The aggregator's reader of a JSON record value: one walk over the bytes that builds JavaScript
// values only for the fields the aggregate reads (group-by, event time, measures, `where`) and
// checks the job's other text fields without building them. records/json-scanner.ts builds every
// wanted field; building the demo events' six strings and tag list per record is what the
// aggregator cannot afford, and skipping them unchecked would let a record through that the
// JSON.parse path rejects. So a text field nobody reads is vouched for only when it is a plain JSON
// string (or a list of them), and then stands as '' (or []) for the schema check, which accepts it
// as it would accept the real text.
//
// Like json-scanner.ts it never decides a record is bad: anything it cannot vouch for (a text
// field holding a number or null, escapes in keys, nested objects in a read field, integers past
// 15 digits, bytes that are not UTF-8, malformed JSON) makes it decline, and the record takes the
// JSON.parse path, which gives the same rows or the same bad record as always.

import { isUtf8 } from 'node:buffer';
import type { JobSpec } from '../job/job-spec.ts';
import type { ColumnSource, KafkaColumn } from '../job/options/columns-options.ts';
import { kafkaValue } from '../records/fast-path.ts';
import { BACKSLASH, COLON, COMMA, hasLongDigitRunBytes, MINUS, QUOTE } from '../records/json-bytes.ts';
import { DECLINED, Decline, JsonCursor } from '../records/json-cursor.ts';
import { DECLINE } from '../records/json-scanner.ts';

export { DECLINE };

/** What the scanner does with a top-level key's value. */
enum Mode {
  /** Build the value as JSON.parse would (a field the aggregate reads, or a non-text field). */
  Build = 0,
  /** A text field nobody reads: a plain JSON string stands as ''. */
  Text = 1,
  /** A list-of-text field nobody reads: an array of plain JSON strings stands as []. */
  Texts = 2,
  /** Text, and null is taken as null (a nullable field). */
  NullableText = 3,
  /** Texts, and null is taken as null (a nullable field). */
  NullableTexts = 4,
}

const NO_TEXTS: readonly string[] = Object.freeze([]);

/** The record fields the scanner needs besides the value's bytes (Kafka metadata columns). */
export interface ScannedRecord {
  topic: string;
  partition: number;
  timestamp: number;
  key: Buffer | null;
}

export class FieldScanner extends JsonCursor {
  /** Schema keys by byte length (index): their bytes, and their slots alongside. */
  private readonly keysByLength: (Buffer[] | undefined)[] = [];
  private readonly slotsByLength: number[][] = [];
  private readonly modes: Mode[] = [];
  /** Per schema field: its key's slot, or -1 for Kafka metadata. */
  private readonly slots: number[];
  private readonly kafka: (KafkaColumn | undefined)[];
  private readonly scanned: unknown[];
  /** Per slot, whether this record gave it already (a repeated key declines). */
  private readonly seen: Uint8Array;
  /** Raw values in schema order, reused: the caller checks them before the next scan. */
  private readonly out: unknown[];

  /**
   * `read`: the schema fields whose values are used (the aggregate's and the filter's). The job
   * must take the fast path (records/fast-path.ts fastPathRefusal: json decoder, no transform).
   */
  constructor(spec: JobSpec, read: ReadonlySet<string>) {
    super();
    const columns: Record<string, ColumnSource> = spec.columns ?? {};
    const names = Object.keys(spec.schema);
    const keys: string[] = [];
    this.kafka = [];
    this.slots = names.map((name) => {
      const c = Object.hasOwn(columns, name) ? columns[name]! : name;
      if (typeof c !== 'string') {
        this.kafka.push(c.kafka);
        return -1;
      }
      this.kafka.push(undefined);
      const ft = spec.schema[name]!;
      const mode = read.has(name)
        ? Mode.Build
        : ft.kind === 'utf8'
          ? ft.nullable
            ? Mode.NullableText
            : Mode.Text
          : ft.kind === 'list' && ft.item.kind === 'utf8'
            ? ft.nullable
              ? Mode.NullableTexts
              : Mode.Texts
            : Mode.Build;
      const at = keys.indexOf(c);
      if (at >= 0) {
        // Two fields from one key: it is built if either needs it, or its two modes differ.
        if (this.modes[at] !== mode) this.modes[at] = Mode.Build;
        return at;
      }
      keys.push(c);
      this.modes.push(mode);
      return keys.length - 1;
    });
    keys.forEach((k, slot) => {
      const b = Buffer.from(k, 'utf8');
      while (this.keysByLength.length <= b.length) {
        this.keysByLength.push(undefined);
        this.slotsByLength.push([]);
      }
      const list = this.keysByLength[b.length] ?? [];
      list.push(b);
      this.keysByLength[b.length] = list;
      this.slotsByLength[b.length]!.push(slot);
    });
    this.scanned = new Array(keys.length).fill(undefined);
    this.seen = new Uint8Array(keys.length);
    this.out = new Array(names.length).fill(undefined);
  }

  /**
   * The raw values of a record in schema order (unread text fields as '' or []), or DECLINE. The
   * array is reused by the next call.
   */
  scan(
    buf: Buffer,
    start: number,
    end: number,
    r: ScannedRecord,
    offset: string,
  ): unknown[] | typeof DECLINE {
    // Such a text goes to lossless-json on the JSON.parse path (exact-json.ts), which refuses a
    // repeated key anywhere: leave it to that path.
    if (hasLongDigitRunBytes(buf, start, end)) return DECLINE;
    const got = this.scanned;
    got.fill(undefined);
    this.seen.fill(0);
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.high = false;
    try {
      this.object(got);
    } catch (err) {
      if (err instanceof Decline) return DECLINE;
      throw err;
    }
    // A byte above 0x7f lies inside a string: valid UTF-8 decodes the same on both paths; invalid
    // bytes are left to the JSON.parse path (invalidUtf8 policy and its message).
    if (this.high && !isUtf8(buf.subarray(start, end))) return DECLINE;
    const out = this.out;
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      out[i] = s >= 0 ? got[s] : kafkaValue(r, offset, this.kafka[i]!);
    }
    return out;
  }

  private object(got: unknown[]): void {
    this.spaces();
    if (this.peek() !== 0x7b) throw DECLINED; // '{'
    this.pos++;
    this.spaces();
    if (this.peek() === 0x7d) this.pos++;
    else {
      for (;;) {
        this.spaces();
        if (this.peek() !== QUOTE) throw DECLINED;
        const slot = this.key();
        this.spaces();
        if (this.next() !== COLON) throw DECLINED;
        this.spaces();
        if (slot < 0) this.skipValue(0);
        else {
          // A repeated schema key is rare: JSON.parse keeps its last value; leave it to that path.
          if (this.seen[slot] === 1) throw DECLINED;
          this.seen[slot] = 1;
          const mode = this.modes[slot]!;
          if (mode === Mode.Build) got[slot] = this.value(true);
          else if (mode >= Mode.NullableText && this.peek() === 0x6e) got[slot] = this.literal('null', null);
          else if (mode === Mode.Text || mode === Mode.NullableText) got[slot] = this.text();
          else got[slot] = this.texts();
        }
        this.spaces();
        const c = this.next();
        if (c === 0x7d) break;
        if (c !== COMMA) throw DECLINED;
      }
    }
    this.spaces();
    if (this.pos !== this.end) throw DECLINED;
  }

  /** A key without escapes; its slot, or -1 when not a schema field. */
  private key(): number {
    const buf = this.buf;
    const start = ++this.pos;
    let p = start;
    for (;;) {
      if (p >= this.end) throw DECLINED;
      const c = buf[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20) throw DECLINED;
      if (c >= 0x80) this.high = true;
      p++;
    }
    this.pos = p + 1;
    const len = p - start;
    const list = len < this.keysByLength.length ? this.keysByLength[len] : undefined;
    if (list === undefined) return -1;
    for (let j = 0; j < list.length; j++) {
      const k = list[j]!;
      let i = 0;
      while (i < len && k[i] === buf[start + i]) i++;
      if (i === len) return this.slotsByLength[len]![j]!;
    }
    return -1;
  }

  /** An unread text value: a JSON string stands as ''; anything else declines (the schema check decides it). */
  private text(): string {
    if (this.peek() !== QUOTE) throw DECLINED;
    this.skipString();
    return '';
  }

  /** An unread list of texts: an array of JSON strings stands as []; anything else declines. */
  private texts(): readonly string[] {
    if (this.peek() !== 0x5b) throw DECLINED;
    this.pos++;
    this.spaces();
    if (this.peek() === 0x5d) {
      this.pos++;
      return NO_TEXTS;
    }
    for (;;) {
      this.spaces();
      this.text();
      this.spaces();
      const c = this.next();
      if (c === 0x5d) return NO_TEXTS;
      if (c !== COMMA) throw DECLINED;
    }
  }

  /** A read value as JSON.parse gives it; lists of scalars too (top = a field's own value). */
  private value(top: boolean): unknown {
    const c = this.peek();
    if (c === QUOTE) return this.string();
    if (c === MINUS || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    if (c === 0x5b && top) return this.array();
    throw DECLINED;
  }

  private array(): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    this.spaces();
    if (this.peek() === 0x5d) {
      this.pos++;
      return items;
    }
    for (;;) {
      this.spaces();
      items.push(this.value(false));
      this.spaces();
      const c = this.next();
      if (c === 0x5d) return items;
      if (c !== COMMA) throw DECLINED;
    }
  }

  /** A read string as JSON.parse gives it: ASCII copied as latin1, other UTF-8 decoded, escapes by JSON.parse. */
  private string(): string {
    const buf = this.buf;
    const start = this.pos;
    const highBefore = this.high;
    this.high = false;
    const escaped = this.skipString();
    const high = this.high;
    this.high = highBefore || high;
    if (escaped) {
      try {
        return JSON.parse(buf.toString('utf8', start, this.pos)) as string;
      } catch {
        throw DECLINED;
      }
    }
    return buf.toString(high ? 'utf8' : 'latin1', start + 1, this.pos - 1);
  }

  /**
   * A JSON number. Integers of up to 15 digits are summed by hand; other numbers go through
   * Number(), which rounds exactly as JSON.parse; longer integers decline (exact-json.ts makes
   * those BigInts on the JSON.parse path).
   */
  private number(): number {
    const buf = this.buf;
    if (!this.skipNumber()) return Number(buf.toString('latin1', this.numStart, this.pos));
    const s = this.intStart;
    const e = this.intEnd;
    if (e - s > 15) throw DECLINED;
    let x = 0;
    for (let i = s; i < e; i++) x = x * 10 + (buf[i]! - 48);
    return buf[this.numStart] === MINUS ? -x : x;
  }
}
