// A JSON object scanner specialised to the fields a job reads: walks the value's UTF-8 bytes once,
// keeps the values of the wanted top-level fields (as JSON.parse would give them) and validates the
// rest without building it. It never decides a record is bad: anything it does not handle exactly
// like JSON.parse (escapes in keys, nested objects in a wanted field, integers past 15 digits,
// malformed input) makes it decline, and the record takes the JSON.parse path, which then gives the
// same values or the same error as always. So the fast path cannot change a record's outcome.

import { BACKSLASH, COLON, COMMA, MINUS, QUOTE } from './json-bytes.ts';
import { DECLINED, Decline, JsonCursor } from './json-cursor.ts';

/** Returned when the scanner leaves the record to the JSON.parse path. */
export const DECLINE: unique symbol = Symbol('decline');

export class JsonScanner extends JsonCursor {
  /** Wanted keys by byte length: [key bytes, slot]. */
  private readonly byLength: Map<number, [Buffer, number][]> = new Map();
  constructor(keys: readonly string[]) {
    super();
    keys.forEach((k, slot) => {
      const b = Buffer.from(k, 'utf8');
      const list = this.byLength.get(b.length) ?? [];
      list.push([b, slot]);
      this.byLength.set(b.length, list);
    });
  }

  /**
   * The values of the wanted keys (undefined when absent) written into `out`, or DECLINE. `out` is
   * cleared first; a key given twice keeps its last value, as with JSON.parse.
   */
  scan(buf: Buffer, start: number, end: number, out: unknown[]): unknown[] | typeof DECLINE {
    out.fill(undefined);
    this.buf = buf;
    this.pos = start;
    this.end = end;
    try {
      this.spaces();
      if (this.peek() !== 0x7b) return DECLINE; // '{'
      this.pos++;
      this.spaces();
      if (this.peek() === 0x7d) this.pos++;
      else {
        for (;;) {
          this.spaces();
          if (this.peek() !== QUOTE) return DECLINE;
          const slot = this.key();
          this.spaces();
          if (this.next() !== COLON) return DECLINE;
          this.spaces();
          if (slot < 0) this.skipValue(0);
          else out[slot] = this.value(true);
          this.spaces();
          const c = this.next();
          if (c === 0x7d) break;
          if (c !== COMMA) return DECLINE;
        }
      }
      this.spaces();
      return this.pos === this.end ? out : DECLINE;
    } catch (err) {
      if (err instanceof Decline) return DECLINE;
      throw err;
    }
  }

  /** A key without escapes; its slot, or -1 when not wanted. */
  private key(): number {
    const buf = this.buf;
    const start = ++this.pos;
    let p = start;
    for (;;) {
      if (p >= this.end) throw DECLINED;
      const c = buf[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20) throw DECLINED;
      p++;
    }
    this.pos = p + 1;
    const list = this.byLength.get(p - start);
    if (list === undefined) return -1;
    for (const [k, slot] of list) {
      let i = 0;
      while (i < k.length && k[i] === buf[start + i]) i++;
      if (i === k.length) return slot;
    }
    return -1;
  }

  /** A wanted value as JSON.parse gives it; lists of scalars too (top = a field's own value). */
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

  /** A string; ASCII without escapes is copied as latin1 (fast), other UTF-8 decoded as JSON.parse sees it. */
  private string(): string {
    const buf = this.buf;
    const start = ++this.pos;
    let p = start;
    let high = false;
    let escaped = false;
    for (;;) {
      if (p >= this.end) throw DECLINED;
      const c = buf[p]!;
      if (c === QUOTE) break;
      if (c < 0x20) throw DECLINED;
      if (c === BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      if (c >= 0x80) high = true;
      p++;
    }
    this.pos = p + 1;
    if (escaped) {
      // Rare: JSON.parse decodes the escapes exactly (and refuses bad ones: then we decline).
      try {
        return JSON.parse(buf.toString('utf8', start - 1, p + 1)) as string;
      } catch {
        throw DECLINED;
      }
    }
    return buf.toString(high ? 'utf8' : 'latin1', start, p);
  }

  /**
   * A JSON number. Integers of up to 15 digits are summed by hand; other numbers go through
   * Number(), which rounds exactly as JSON.parse; longer integers decline (the JSON.parse path
   * decides what an int64 field makes of them).
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
