// Record value decoders: json (default; integers beyond 2^53 arrive as exact BigInts, see
// exact-json.ts), string, bytes, or a job's own { name, decode }.

import type { JobSpec } from '../job/job-spec.ts';
import { parseJsonExact } from './exact-json.ts';

export type Decode = (value: Buffer | null) => unknown;

/** What a decoder reads from a record: the value, and its text when the reader can give it directly. */
export interface EncodedValue {
  readonly value: Buffer | null;
  /** The value as UTF-8 text without a Buffer in between (records read by the range reader). */
  valueText?(): string | null;
}

export type RecordDecode = (r: EncodedValue) => unknown;

/** The value's text: straight from the fetch buffer when the reader can give it. */
export function valueTextOf(r: EncodedValue): string | null {
  if (r.valueText !== undefined) return r.valueText();
  const v = r.value;
  return v === null ? null : v.toString('utf8');
}

export function decoderFor(spec: JobSpec['decoder']): RecordDecode {
  if (typeof spec === 'object') {
    const decode = spec.decode;
    return (r) => decode(r.value);
  }
  switch (spec) {
    case 'json':
      return (r) => {
        const t = valueTextOf(r);
        return t === null ? null : parseJsonExact(t);
      };
    case 'string':
      return valueTextOf;
    case 'bytes':
      return (r) => r.value;
  }
}

/**
 * For decoders that read the value as UTF-8 text (json, string): text -> value. The record
 * processor decodes the text itself to look at it once (see RecordProcessor.processInto).
 */
export function textParserFor(spec: JobSpec['decoder']): ((text: string) => unknown) | undefined {
  if (spec === 'json') return parseJsonExact;
  return spec === 'string' ? (t) => t : undefined;
}
