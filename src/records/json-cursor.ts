// A cursor over a JSON text in a buffer, for the scanners that read a few fields of a record and
// validate the rest (records/json-scanner.ts, the fast path; aggregator/field-scanner.ts): the moves
// that validate and skip JSON without building anything (strings with their escapes, numbers by the
// strict grammar, whole values), and the Decline it throws when it meets anything it does not
// handle exactly as JSON.parse.

import { BACKSLASH, COLON, COMMA, isSimpleEscape, MINUS, QUOTE } from './json-bytes.ts';

/** Thrown inside the scanner to decline; caught once at the top. */
export class Decline extends Error {}
export const DECLINED = new Decline();

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class JsonCursor {
  protected buf: Buffer = Buffer.alloc(0);
  protected pos = 0;
  protected end = 0;
  /** A byte above 0x7f was met inside a string or key (the text may not be UTF-8). */
  protected high = false;

  protected peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  protected next(): number {
    if (this.pos >= this.end) throw DECLINED;
    return this.buf[this.pos++]!;
  }

  protected spaces(): void {
    const buf = this.buf;
    while (this.pos < this.end && isSpace(buf[this.pos]!)) this.pos++;
  }

  protected literal<T>(word: string, v: T): T {
    const buf = this.buf;
    if (this.pos + word.length > this.end) throw DECLINED;
    for (let i = 0; i < word.length; i++) if (buf[this.pos + i] !== word.charCodeAt(i)) throw DECLINED;
    this.pos += word.length;
    return v;
  }

  /**
   * Moves past a JSON string with valid escapes (the opening quote at pos); returns whether it
   * holds escapes. Control characters decline (JSON.parse refuses them).
   */
  protected skipString(): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      if (p >= end) throw DECLINED;
      const b = buf[p]!;
      if (b === QUOTE) break;
      if (b < 0x20) throw DECLINED;
      if (b >= 0x80) this.high = true;
      if (b === BACKSLASH) {
        escaped = true;
        const e = p + 1 < end ? buf[p + 1]! : -1;
        if (e === 0x75) {
          if (p + 6 > end) throw DECLINED;
          for (let i = 2; i < 6; i++) {
            const h = buf[p + i]!;
            const hex = (h >= 0x30 && h <= 0x39) || ((h | 0x20) >= 0x61 && (h | 0x20) <= 0x66);
            if (!hex) throw DECLINED;
          }
          p += 6;
          continue;
        }
        if (!isSimpleEscape(e)) throw DECLINED;
        p += 2;
        continue;
      }
      p++;
    }
    this.pos = p + 1;
    return escaped;
  }

  protected numStart = 0;
  protected intStart = 0;
  protected intEnd = 0;

  /** Moves past a JSON number (strict grammar); true when it is an integer (no fraction, no exponent). */
  protected skipNumber(): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    this.numStart = p;
    if (buf[p] === MINUS) p++;
    this.intStart = p;
    if (p >= end) throw DECLINED;
    if (buf[p] === 0x30) p++;
    else {
      if (!(buf[p]! >= 0x31 && buf[p]! <= 0x39)) throw DECLINED;
      while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
    }
    this.intEnd = p;
    let integer = true;
    if (p < end && buf[p] === 0x2e) {
      integer = false;
      p++;
      const f = p;
      while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
      if (p === f) throw DECLINED;
    }
    if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) {
      integer = false;
      p++;
      if (p < end && (buf[p] === 0x2b || buf[p] === MINUS)) p++;
      const e = p;
      while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
      if (p === e) throw DECLINED;
    }
    this.pos = p;
    return integer;
  }

  /** Validates and skips any JSON value (a key that is not a schema field), building nothing. */
  protected skipValue(depth: number): void {
    if (depth > 64) throw DECLINED;
    const c = this.peek();
    if (c === QUOTE) {
      this.skipString();
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      this.pos++;
      this.spaces();
      if (this.peek() === close) {
        this.pos++;
        return;
      }
      for (;;) {
        this.spaces();
        if (c === 0x7b) {
          if (this.peek() !== QUOTE) throw DECLINED;
          this.skipString();
          this.spaces();
          if (this.next() !== COLON) throw DECLINED;
          this.spaces();
        }
        this.skipValue(depth + 1);
        this.spaces();
        const n = this.next();
        if (n === close) return;
        if (n !== COMMA) throw DECLINED;
      }
    }
    if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      this.skipNumber();
      return;
    }
    if (c === 0x74) return void this.literal('true', true);
    if (c === 0x66) return void this.literal('false', false);
    if (c === 0x6e) return void this.literal('null', null);
    throw DECLINED;
  }
}
