// Strict JSON over bytes, for the columnar path's walker (json-walker.ts): whitespace, strings,
// numbers (their shape kept in the num* fields, no value made), literals and whole values skipped
// and validated exactly as JSON.parse would accept them. A position past the token, or -1.

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const MINUS = 0x2d;
export const PLUS = 0x2b;
export const DOT = 0x2e;
export const ZERO = 0x30;
export const NINE = 0x39;

/** Deeper nesting is declined: JSON.parse and DuckDB both read it, but nothing needs proving there. */
const MAX_DEPTH = 64;
const INT64_MAX = Buffer.from('9223372036854775807');
const INT64_MIN = Buffer.from('9223372036854775808');

/** Bytes a string's scan stops at: the quote, a backslash, control characters, 0xEF (U+FFFD's first byte). */
const STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STOP[c] = 1;
STOP[QUOTE] = 1;
STOP[BACKSLASH] = 1;
STOP[0xef] = 1;

/** The escapes `\" \\ \/ \b \f \n \r \t` (the byte after the backslash); `\u` is checked apart. */
export function isSimpleEscape(e: number | undefined): boolean {
  return (
    e === QUOTE ||
    e === BACKSLASH ||
    e === 0x2f ||
    e === 0x62 ||
    e === 0x66 ||
    e === 0x6e ||
    e === 0x72 ||
    e === 0x74
  );
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** Scans one value at a time: `b` and `end` are set by the subclass before each value. */
export abstract class JsonBytes {
  protected b: Buffer = Buffer.alloc(0);
  protected end = 0;
  // The last number scanned.
  protected numNeg = false;
  protected numIntDigits = 0;
  protected numFrac = false;
  protected numExp = false;
  protected numMantissa = 0;
  protected numExpValue = 0;
  /** The decimal exponent of the first significant digit, before the exponent part. */
  protected numLead = 0;
  /** Whether the last string scanned held an escape. */
  protected escaped = false;
  /** Whether skip() has met an object since the subclass last cleared it. */
  protected nested = false;

  /** Space and tab only: a newline would split the NDJSON line, a CR may too. */
  protected ws(p: number): number {
    const b = this.b;
    while (p < this.end) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x09) break;
      p++;
    }
    return p;
  }

  /** Past a strict JSON string at p (its opening quote); -1 if malformed. `read`: also refuse U+FFFD. */
  protected skipString(p: number, read = false): number {
    const b = this.b;
    const end = this.end;
    let q = p + 1;
    this.escaped = false;
    while (q < end) {
      // Ordinary bytes in one tight loop: a table load and a test each (past the buffer's end the
      // load is undefined, which stops it too).
      while (STOP[b[q]!] === 0) q++;
      if (q >= end) return -1;
      const c = b[q]!;
      if (c === QUOTE) return q + 1;
      if (c < 0x20) return -1;
      if (c === BACKSLASH) {
        this.escaped = true;
        const e = b[q + 1];
        if (e === 0x75) {
          const u = this.hex4(q + 2);
          if (u < 0) return -1;
          q += 6;
          if (u >= 0xd800 && u <= 0xdbff) {
            // Only a pair: a lone surrogate is a string JSON.parse makes and DuckDB refuses.
            if (b[q] !== BACKSLASH || b[q + 1] !== 0x75) return -1;
            const lo = this.hex4(q + 2);
            if (lo < 0xdc00 || lo > 0xdfff) return -1;
            q += 6;
          } else if (u >= 0xdc00 && u <= 0xdfff) return -1;
          else if (read && u === 0xfffd) return -1;
        } else if (isSimpleEscape(e)) q += 2;
        else return -1;
      } else if (read && c === 0xef && b[q + 1] === 0xbf && b[q + 2] === 0xbd) {
        // U+FFFD: the JavaScript path cannot tell it from invalid UTF-8 and refuses the record.
        return -1;
      } else q++;
    }
    return -1;
  }

  protected hex4(p: number): number {
    if (p + 4 > this.end) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.b[p + i]!;
      const d =
        c >= ZERO && c <= NINE
          ? c - ZERO
          : c >= 0x61 && c <= 0x66
            ? c - 87
            : c >= 0x41 && c <= 0x46
              ? c - 55
              : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  /** Past a strict JSON number at p, its shape in the num* fields; -1 if malformed. */
  protected number(p: number): number {
    const b = this.b;
    let q = p;
    this.numNeg = b[q] === MINUS;
    if (this.numNeg) q++;
    let zero = true;
    let mantissa = 0;
    const is = q;
    const first = this.digit(q);
    if (first === 0) q++;
    else if (first > 0) {
      zero = false;
      while (this.digit(q) >= 0) q++;
    } else return -1;
    this.numIntDigits = q - is;
    this.numLead = zero ? 0 : q - is - 1;
    mantissa = q - is;
    this.numFrac = false;
    this.numExp = false;
    this.numExpValue = 0;
    if (b[q] === DOT) {
      q++;
      const fs = q;
      let lead = 0;
      for (let d = this.digit(q); d >= 0; d = this.digit(++q)) {
        if (d !== 0 && zero) {
          zero = false;
          lead = -(q - fs + 1);
        }
      }
      if (lead !== 0) this.numLead = lead;
      if (q === fs) return -1;
      this.numFrac = true;
      mantissa += q - fs;
    }
    const c = b[q];
    if (c === 0x65 || c === 0x45) {
      q++;
      let neg = false;
      if (b[q] === PLUS || b[q] === MINUS) {
        neg = b[q] === MINUS;
        q++;
      }
      const es = q;
      let e = 0;
      for (let d = this.digit(q); d >= 0; d = this.digit(++q)) if (e < 100_000) e = e * 10 + d;
      if (q === es) return -1;
      this.numExp = true;
      this.numExpValue = neg ? -e : e;
    }
    this.numMantissa = mantissa;
    // -0 in any form: DuckDB reads the integer -0 as 0 where JavaScript keeps the double -0.
    if (zero && this.numNeg) return -1;
    return q;
  }

  /** The digit at q (0-9), or -1. */
  protected digit(q: number): number {
    if (q >= this.end) return -1;
    const d = this.b[q]! - ZERO;
    return d >= 0 && d <= 9 ? d : -1;
  }

  /** The integer digits of the last number as a number (at most 15 digits: exact). */
  protected intValue(p: number): number {
    const b = this.b;
    let q = this.numNeg ? p + 1 : p;
    let v = 0;
    for (let i = 0; i < this.numIntDigits; i++) v = v * 10 + (b[q++]! - ZERO);
    return this.numNeg ? -v : v;
  }

  /** Whether the digits at p (count n, 19) are within int64 for this sign. */
  protected int64Digits(p: number, neg: boolean): boolean {
    const lim = neg ? INT64_MIN : INT64_MAX;
    const b = this.b;
    for (let i = 0; i < 19; i++) {
      const c = b[p + i]!;
      if (c !== lim[i]) return c < lim[i]!;
    }
    return true;
  }

  protected literal(p: number, w: string): number {
    for (let i = 0; i < w.length; i++) if (this.b[p + i] !== w.charCodeAt(i)) return -1;
    return p + w.length;
  }

  /** Past a value of any kind (validated, not type-checked); -1 if malformed. */
  protected skip(p: number, depth: number): number {
    const b = this.b;
    const c = b[p];
    if (c === QUOTE) return this.skipString(p);
    if (c === LBRACE || c === LBRACKET) {
      if (depth >= MAX_DEPTH) return -1;
      const obj = c === LBRACE;
      if (obj) this.nested = true;
      const close = obj ? RBRACE : RBRACKET;
      p = this.ws(p + 1);
      if (b[p] === close) return p + 1;
      for (;;) {
        if (obj) {
          if (b[p] !== QUOTE) return -1;
          p = this.skipString(p);
          if (p < 0) return -1;
          p = this.ws(p);
          if (b[p] !== COLON) return -1;
          p = this.ws(p + 1);
        }
        p = this.skip(p, depth + 1);
        if (p < 0) return -1;
        p = this.ws(p);
        const d = b[p];
        if (d === COMMA) p = this.ws(p + 1);
        else if (d === close) return p + 1;
        else return -1;
      }
    }
    if (c === 0x74) return this.literal(p, 'true');
    if (c === 0x66) return this.literal(p, 'false');
    if (c === 0x6e) return this.literal(p, 'null');
    return this.number(p);
  }
}

/** exact-json.ts's hasLongDigitRun over bytes: probes one byte in 16. */
export function hasLongDigitRunBytes(b: Buffer, start: number, end: number): boolean {
  for (let p = start + 15; p < end; p += 16) {
    if (!isDigit(b[p])) continue;
    let a = p;
    while (a > start && p - a < 15 && isDigit(b[a - 1])) a--;
    let e = p + 1;
    while (e < end && e - a < 16 && isDigit(b[e])) e++;
    if (e - a >= 16) return true;
  }
  return false;
}
