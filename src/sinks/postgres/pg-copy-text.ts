// Rows as PostgreSQL COPY text: one line per row, tab-separated, `\N` for null, backslash escapes
// (see the COPY docs, "Text Format"). Values come from SinkRow.values, already checked against the
// schema, so only the PostgreSQL spelling of each type is decided here: int64 exact, timestamps as
// UTC instants with microseconds (timestamptz's precision; nanoseconds are truncated), lists as
// array literals with every element quoted.

import type { FieldType, TimeUnit } from '../../job/schema.ts';

/** Escapes a text value for the COPY text format (backslash, tab, newline, carriage return). */
export function copyEscape(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

const MICROS_PER: Record<TimeUnit, bigint> = { s: 1_000_000n, ms: 1000n, us: 1n, ns: 1n };

/** A timestamp value in the schema's unit as an ISO-8601 UTC instant with microseconds. */
export function timestampText(v: number | bigint, unit: TimeUnit): string {
  if (typeof v === 'number' && unit === 'ms' && Number.isInteger(v)) {
    const d = new Date(v);
    if (!Number.isNaN(d.getTime())) return d.toISOString().replace('Z', '+00');
  }
  const big = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  // Floor division, so instants before 1970 keep a positive fraction.
  const micros = unit === 'ns' ? floorDiv(big, 1000n) : big * MICROS_PER[unit];
  const secs = floorDiv(micros, 1_000_000n);
  const frac = micros - secs * 1_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${frac.toString().padStart(6, '0')}+00`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function floatText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(v);
}

/** A scalar (not list) value as PostgreSQL reads it in text form; null is the caller's business. */
function scalarText(v: unknown, ft: FieldType): string {
  switch (ft.kind) {
    case 'utf8':
      return v as string;
    case 'int32':
    case 'int64':
      return String(v);
    case 'float64':
      return floatText(v as number);
    case 'bool':
      return v ? 't' : 'f';
    case 'timestamp':
      return timestampText(v as number | bigint, ft.unit);
    case 'list':
      return arrayText(v as unknown[], ft.item);
  }
}

/** An array literal: `{"a","b",NULL}`; every element quoted, so no element needs other escapes. */
function arrayText(items: unknown[], item: FieldType): string {
  const parts = items.map((x) =>
    x === null || x === undefined ? 'NULL' : `"${scalarText(x, item).replace(/["\\]/g, '\\$&')}"`,
  );
  return `{${parts.join(',')}}`;
}

/** One field as it appears in a COPY text line. */
export function copyField(v: unknown, ft: FieldType): string {
  if (v === null || v === undefined) return '\\N';
  return copyEscape(scalarText(v, ft));
}

/** Builds the COPY text of rows for a schema (its fields in order); lines end with `\n`. */
export function copyLineEncoder(types: FieldType[]): (values: unknown[]) => string {
  return (values) => {
    let line = '';
    for (let i = 0; i < types.length; i++) {
      if (i > 0) line += '\t';
      line += copyField(values[i], types[i]!);
    }
    return `${line}\n`;
  };
}
