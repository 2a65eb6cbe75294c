// The columnar path's byte walker: one pass over a JSON value's bytes, making no JavaScript value,
// that vouches for a record before DuckDB's typed JSON reader sees it. It accepts exactly what
// JSON.parse accepts (strict JSON), and for each field the job reads with a type it checks that the
// JSON text is one DuckDB's typed reader converts to the very value records/coerce.ts stores (a
// string for utf8, an integer literal in range, a double both parse alike, an ISO-8601 text of the
// shape records/time.ts parses by hand, ...). Anything else (including what is valid but merely
// unproven) makes vouch() return false: the task then runs on the JavaScript path.

import type { FieldType } from '../job/schema.ts';
import { parseJsonExact } from './exact-json.ts';
import {
  COLON,
  COMMA,
  DOT,
  hasLongDigitRunBytes,
  JsonBytes,
  LBRACE,
  LBRACKET,
  MINUS,
  PLUS,
  QUOTE,
  RBRACE,
  RBRACKET,
  ZERO,
} from './json-bytes.ts';

/** A top-level key the walker type-checks, with the schema type DuckDB will read it as. */
export interface WalkedField {
  key: string;
  type: FieldType;
}

/**
 * Doubles: at most this many mantissa digits and a decimal magnitude (of the first significant
 * digit) within this; the property test compares DuckDB and JSON.parse across it, subnormals,
 * overflow to Infinity and underflow to 0 included.
 */
const MAX_MAGNITUDE = 400;
const MAX_MANTISSA = 20;
/** ms since 1970 of 1000-01-01 and of 9999-12-31T23:59:59.999Z: the partition directory's years. */
const MIN_MS = -30_610_224_000_000;
const MAX_MS = 253_402_300_799_999;
/** The ns unit's int64 range, in whole ms (records/coerce.ts refuses instants beyond it). */
const NS_MIN_MS = -9_223_372_036_854;
const NS_MAX_MS = 9_223_372_036_854;

enum Kind {
  Utf8 = 0,
  Int32 = 1,
  Int64 = 2,
  Float64 = 3,
  Bool = 4,
  Timestamp = 5,
  List = 6,
}

interface Check {
  kind: Kind;
  nullable: boolean;
  /** Timestamps: the instants allowed, ms; ISO years allowed. */
  minMs: number;
  maxMs: number;
  minYear: number;
  maxYear: number;
  item: Check | undefined;
}

function checkOf(ft: FieldType): Check {
  const kind = {
    utf8: Kind.Utf8,
    int32: Kind.Int32,
    int64: Kind.Int64,
    float64: Kind.Float64,
    bool: Kind.Bool,
    timestamp: Kind.Timestamp,
    list: Kind.List,
  }[ft.kind];
  const ns = ft.kind === 'timestamp' && ft.unit === 'ns';
  return {
    kind,
    nullable: ft.nullable,
    // A year's bounds kept one year inside the ms bounds, so no offset crosses them.
    minMs: ns ? NS_MIN_MS : MIN_MS,
    maxMs: ns ? NS_MAX_MS : MAX_MS,
    minYear: ns ? 1678 : 1001,
    maxYear: ns ? 2261 : 9998,
    item: ft.kind === 'list' ? checkOf(ft.item) : undefined,
  };
}

function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Vouches for JSON values against one set of typed fields; one instance per task (it keeps state). */
export class JsonWalker extends JsonBytes {
  private readonly keys: Buffer[];
  private readonly checks: Check[];
  /** Candidate field indexes by key length. */
  private readonly byLength: number[][] = [];
  private readonly seen: Uint32Array;
  private generation = 0;
  /** Why the last vouch() said no: a field index, or -1 for JSON that JSON.parse refuses (or not on one line). */
  private field = -1;
  private problem = '';
  /** The top-level keys of the value being walked: [start, end) byte offsets, flat. */
  private readonly keySpans: number[] = [];
  private escapedKey = false;

  constructor(fields: readonly WalkedField[]) {
    super();
    this.keys = fields.map((f) => Buffer.from(f.key, 'utf8'));
    this.checks = fields.map((f) => checkOf(f.type));
    this.keys.forEach((k, i) => {
      const list = this.byLength[k.length] ?? [];
      list.push(i);
      this.byLength[k.length] = list;
    });
    this.seen = new Uint32Array(fields.length);
  }

  /**
   * Whether b[start, end) is a JSON object (strict JSON, no newline) whose typed fields DuckDB reads
   * to exactly the values the JavaScript path stores, none repeated and none missing unless nullable.
   */
  vouch(b: Buffer, start: number, end: number): boolean {
    this.b = b;
    this.end = end;
    const gen = ++this.generation;
    this.field = -1;
    this.problem = '';
    this.keySpans.length = 0;
    this.escapedKey = false;
    this.nested = false;
    let p = this.ws(start);
    if (b[p] !== LBRACE) return false;
    p = this.ws(p + 1);
    if (b[p] === RBRACE) p++;
    else {
      for (;;) {
        if (b[p] !== QUOTE) return false;
        const ks = p + 1;
        const ke = this.skipString(p);
        if (ke < 0) return false;
        p = b[ke] === COLON ? ke : this.ws(ke);
        if (b[p] !== COLON) return false;
        p++;
        if (b[p] === 0x20 || b[p] === 0x09) p = this.ws(p);
        this.keySpans.push(ks, ke - 1);
        if (this.escaped) this.escapedKey = true;
        const f = this.lookup(ks, ke - 1);
        if (f === -2)
          return this.no(-1, 'a key with escapes (JSON.parse reads it, the columnar path does not try)');
        if (f >= 0) {
          // JSON.parse keeps the last, DuckDB refuses
          if (this.seen[f] === gen) return this.no(f, 'repeated');
          this.seen[f] = gen;
          p = this.value(this.checks[f]!, p);
          if (p < 0) return this.no(f, 'a value it cannot vouch for');
        } else p = this.skip(p, 1);
        if (p < 0) return false;
        let c = b[p];
        if (c === 0x20 || c === 0x09) {
          p = this.ws(p);
          c = b[p];
        }
        if (c === COMMA) {
          p++;
          if (b[p] === 0x20 || b[p] === 0x09) p = this.ws(p);
        } else if (c === RBRACE) {
          p++;
          break;
        } else return false;
      }
    }
    if (this.ws(p) !== end) return false;
    for (let i = 0; i < this.checks.length; i++)
      if (this.seen[i] !== gen && !this.checks[i]!.nullable) return this.no(i, 'missing');
    // A value with 16 digits in a row is parsed by lossless-json on the JavaScript path, which refuses
    // duplicate keys (with different values) at any depth: a flat object with plain keys is checked
    // here (any repeated key declines it), anything else is asked of lossless-json itself.
    if (hasLongDigitRunBytes(b, start, end)) {
      if (this.nested || this.escapedKey) {
        try {
          parseJsonExact(b.toString('utf8', start, end));
        } catch {
          return false;
        }
      } else if (this.repeatedKey())
        return this.no(-1, 'a repeated key in a value with 16 digits in a row (lossless-json refuses it)');
    }
    return true;
  }

  /** Whether two top-level keys of the value just walked have the same bytes. */
  private repeatedKey(): boolean {
    const k = this.keySpans;
    const b = this.b;
    for (let i = 0; i < k.length; i += 2) {
      const len = k[i + 1]! - k[i]!;
      for (let j = i + 2; j < k.length; j += 2) {
        if (k[j + 1]! - k[j]! !== len) continue;
        let x = 0;
        while (x < len && b[k[i]! + x] === b[k[j]! + x]) x++;
        if (x === len) return true;
      }
    }
    return false;
  }

  private no(field: number, problem: string): false {
    this.field = field;
    this.problem = problem;
    return false;
  }

  /** Why the last vouch() returned false, for the log. */
  refusal(): string {
    if (this.field < 0)
      return this.problem === '' ? 'not a JSON object that JSON.parse accepts, on one line' : this.problem;
    return `field '${this.keys[this.field]!.toString()}': ${this.problem}`;
  }

  /** The typed field whose key is b[ks, ke), -1 for none, -2 for a key with escapes (could be any). */
  private lookup(ks: number, ke: number): number {
    const cands = this.byLength[ke - ks];
    const b = this.b;
    if (this.escaped) return this.keys.length > 0 ? -2 : -1;
    if (cands === undefined) return -1;
    for (let i = 0; i < cands.length; i++) {
      const f = cands[i]!;
      const key = this.keys[f]!;
      let j = 0;
      while (j < key.length && key[j] === b[ks + j]) j++;
      if (j === key.length) return f;
    }
    return -1;
  }

  /** Past a value of a typed field, -1 unless DuckDB's typed reader gives what coerce.ts stores. */
  private value(ch: Check, p: number): number {
    const b = this.b;
    const c = b[p];
    if (c === 0x6e) return ch.nullable ? this.literal(p, 'null') : -1;
    switch (ch.kind) {
      case Kind.Utf8:
        return c === QUOTE ? this.skipString(p, true) : -1;
      case Kind.Bool:
        return c === 0x74 ? this.literal(p, 'true') : c === 0x66 ? this.literal(p, 'false') : -1;
      case Kind.Int32: {
        const q = this.number(p);
        if (q < 0 || this.numFrac || this.numExp || this.numIntDigits > 10) return -1;
        const v = this.intValue(p);
        return v >= -2147483648 && v <= 2147483647 ? q : -1;
      }
      case Kind.Int64: {
        if (c === QUOTE) return this.int64String(p);
        const q = this.number(p);
        if (q < 0 || this.numFrac || this.numExp || this.numIntDigits > 19) return -1;
        if (this.numIntDigits === 19 && !this.int64Digits(this.numNeg ? p + 1 : p, this.numNeg)) return -1;
        return q;
      }
      case Kind.Float64: {
        const q = this.number(p);
        if (q < 0 || this.numMantissa > MAX_MANTISSA) return -1;
        const magnitude = this.numLead + this.numExpValue;
        if (magnitude > MAX_MAGNITUDE || magnitude < -MAX_MAGNITUDE) return -1;
        // Integers past 15 digits: the JavaScript path rounds a BigInt, DuckDB an int64: proven
        // alike only within int64 (and past it DuckDB's reader gives a double of its own).
        if (!this.numFrac && !this.numExp && this.numIntDigits > 18) return -1;
        return q;
      }
      case Kind.Timestamp: {
        if (c === QUOTE) return this.isoTimestamp(ch, p);
        const q = this.number(p);
        if (q < 0 || this.numFrac || this.numExp || this.numIntDigits > 15) return -1;
        const v = this.intValue(p);
        return v >= ch.minMs && v <= ch.maxMs ? q : -1;
      }
      case Kind.List: {
        if (c !== LBRACKET) return -1;
        const item = ch.item!;
        p = this.ws(p + 1);
        if (b[p] === RBRACKET) return p + 1;
        for (;;) {
          p = this.value(item, p);
          if (p < 0) return -1;
          p = this.ws(p);
          const d = b[p];
          if (d === COMMA) p = this.ws(p + 1);
          else if (d === RBRACKET) return p + 1;
          else return -1;
        }
      }
    }
  }

  /** `"-?D{1,19}"` within int64, no leading zero, not "-0": coerce.ts's and DuckDB's cast agree. */
  private int64String(p: number): number {
    const b = this.b;
    let q = p + 1;
    const neg = b[q] === MINUS;
    if (neg) q++;
    const ds = q;
    while (this.digit(q) >= 0) q++;
    const n = q - ds;
    if (b[q] !== QUOTE || n < 1 || n > 19) return -1;
    if (b[ds] === ZERO && (n > 1 || neg)) return -1;
    if (n === 19 && !this.int64Digits(ds, neg)) return -1;
    return q + 1;
  }

  private d2(p: number): number {
    const a = this.b[p]! - ZERO;
    const c = this.b[p + 1]! - ZERO;
    return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
  }

  /**
   * `"YYYY-MM-DDTHH:MM:SS(.f{1,3})?(Z|±HH:MM)"` with every field in range (what time.ts parses by
   * hand), within the field's years: DuckDB's TIMESTAMPTZ cast gives the same instant. More than
   * three fraction digits (time.ts cuts them, DuckDB keeps microseconds) is declined.
   */
  private isoTimestamp(ch: Check, p: number): number {
    const b = this.b;
    const s = p + 1;
    if (s + 20 > this.end) return -1;
    if (
      b[s + 4] !== MINUS ||
      b[s + 7] !== MINUS ||
      b[s + 10] !== 0x54 ||
      b[s + 13] !== COLON ||
      b[s + 16] !== COLON
    )
      return -1;
    const y1 = this.d2(s);
    const y2 = this.d2(s + 2);
    const mo = this.d2(s + 5);
    const d = this.d2(s + 8);
    const h = this.d2(s + 11);
    const mi = this.d2(s + 14);
    const sec = this.d2(s + 17);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) return -1;
    if (sec < 0 || sec > 59) return -1;
    const y = y1 * 100 + y2;
    if (y < ch.minYear || y > ch.maxYear || d > daysIn(y, mo)) return -1;
    let q = s + 19;
    if (b[q] === DOT) {
      q++;
      const fs = q;
      while (this.digit(q) >= 0) q++;
      if (q === fs || q - fs > 3) return -1;
    }
    const z = b[q];
    if (z === 0x5a) q++;
    else if (z === PLUS || z === MINUS) {
      if (b[q + 3] !== COLON) return -1;
      const oh = this.d2(q + 1);
      const om = this.d2(q + 4);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
      q += 6;
    } else return -1;
    return b[q] === QUOTE ? q + 1 : -1;
  }
}
