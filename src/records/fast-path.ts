// The byte-scanner path (opt-in, KRANGE_FAST_PATH=1): for a job without a JavaScript transform and with the `json` decoder, each
// schema field's raw value is read straight from the record's bytes by a scanner that knows the
// wanted fields (json-scanner.ts), skipping JSON.parse's object, the transform call and the row
// object. The values then go through the same schema check as on the JSON.parse path, and a record
// the scanner declines takes that path: both give the same rows and the same bad records.

import type { JobSpec, Transform } from '../job/job-spec.ts';
import type { ColumnSource, Condition, FilterScalar, KafkaColumn } from '../job/options/columns-options.ts';
import { DECLINE, JsonScanner } from './json-scanner.ts';
import type { RawRecord } from './record.ts';

type Source = { value: string } | { kafka: KafkaColumn };

/** Where each schema field comes from, in schema order. */
function sources(spec: JobSpec): Source[] {
  const columns: Record<string, ColumnSource> = spec.columns ?? {};
  return Object.keys(spec.schema).map((name): Source => {
    const c = Object.hasOwn(columns, name) ? columns[name]! : name;
    return typeof c === 'string' ? { value: c } : { kafka: c.kafka };
  });
}

/** A Kafka metadata column's value as the JavaScript path stores it (offset as decimal text). */
export function kafkaValue(
  r: { topic: string; partition: number; timestamp: number; key: Buffer | null },
  offset: string,
  k: KafkaColumn,
): unknown {
  switch (k) {
    case 'topic':
      return r.topic;
    case 'partition':
      return r.partition;
    case 'offset':
      return offset;
    case 'timestamp':
      return r.timestamp;
    case 'key':
      return r.key === null ? null : r.key.toString('utf8');
  }
}

/** A value read for a field as a filter sees it: absent is null. */
function test(c: Condition, v: unknown): boolean {
  const x = v === undefined ? null : v;
  if (c !== null && typeof c === 'object') {
    if ('in' in c) return (c.in as unknown[]).includes(x);
    return x !== (c.not as FilterScalar);
  }
  return x === c;
}

/** The `where` of a job over values in schema order, or undefined when it has none. */
export function filterFor(spec: JobSpec): ((values: unknown[]) => boolean) | undefined {
  if (spec.where === undefined) return undefined;
  const names = Object.keys(spec.schema);
  const conds = Object.entries(spec.where).map(([f, c]): [number, Condition] => [names.indexOf(f), c]);
  return (values) => {
    for (let i = 0; i < conds.length; i++) if (!test(conds[i]![1], values[conds[i]![0]])) return false;
    return true;
  };
}

/**
 * The transform a `columns` job runs on the JSON.parse path: a row of the named fields. A value
 * that is not a JSON object gives no row when null (a tombstone, as without columns) and fails
 * otherwise. Only own properties are read, as the scanner does. Without renames (Kafka metadata
 * only) the parsed object is completed in place, as a hand-written transform would: building a new
 * row per record measured ~13% more CPU on the demo pipeline.
 */
export function columnsTransform(spec: JobSpec): Transform | undefined {
  if (spec.columns === undefined && spec.where === undefined) return undefined;
  const src = sources(spec);
  const keep = filterFor(spec);
  const names = Object.keys(spec.schema);
  const inPlace =
    src.every((s, i) => !('value' in s) || s.value === names[i]) && !names.some((n) => n in Object.prototype);
  const meta = src.flatMap((s, i): [string, KafkaColumn][] => ('kafka' in s ? [[names[i]!, s.kafka]] : []));
  return (r) => {
    const v = r.value;
    if (v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error('the value is not a JSON object');
    const obj = v as Record<string, unknown>;
    if (inPlace) {
      for (let i = 0; i < meta.length; i++) obj[meta[i]![0]] = kafkaValue(r, r.offset, meta[i]![1]);
      if (keep !== undefined && !keep(names.map((n) => (Object.hasOwn(obj, n) ? obj[n] : undefined))))
        return null;
      return obj;
    }
    const row: Record<string, unknown> = {};
    const values: unknown[] = [];
    for (let i = 0; i < names.length; i++) {
      const s = src[i]!;
      const x =
        'value' in s
          ? Object.hasOwn(obj, s.value)
            ? obj[s.value]
            : undefined
          : kafkaValue(r, r.offset, s.kafka);
      row[names[i]!] = x;
      values.push(x);
    }
    return keep === undefined || keep(values) ? row : null;
  };
}

/** Why a job cannot take the fast path, or undefined when it does. */
export function fastPathRefusal(spec: JobSpec): string | undefined {
  if (spec.decoder !== 'json') return "its decoder is not 'json'";
  if (spec.transform !== undefined)
    return 'it has a JavaScript transform (declare projection, renames and Kafka metadata with `columns` instead)';
  for (const s of sources(spec)) {
    // A plain object inherits these: JSON.parse's row would answer them when absent, the scanner not.
    if ('value' in s && s.value in Object.prototype)
      return `its field '${s.value}' is also a name every JavaScript object has`;
  }
  return undefined;
}

/** Whether records take the scanner: a job it can serve, with KRANGE_FAST_PATH=1 (off by default). */
export function fastPathEnabled(spec: JobSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  return env['KRANGE_FAST_PATH'] === '1' && fastPathRefusal(spec) === undefined;
}

/** What `krange plan` says about the records path of a job. */
export function recordsPathLine(spec: JobSpec, env: NodeJS.ProcessEnv = process.env): string {
  const refusal = fastPathRefusal(spec);
  if (refusal !== undefined)
    return `records: JSON.parse path; the byte scanner cannot apply because ${refusal}`;
  return fastPathEnabled(spec, env)
    ? 'records: fast path (KRANGE_FAST_PATH=1: the schema fields are read straight from the JSON bytes)'
    : 'records: JSON.parse path; the byte scanner could apply (KRANGE_FAST_PATH=1) but is off by default: measured slower than JSON.parse on the demo events';
}

/** Raw field values from a record's bytes, in schema order, or DECLINE. */
export class FastPath {
  private readonly scanner: JsonScanner;
  /** Per schema field: the scanner slot, or -1 for Kafka metadata. */
  private readonly slots: number[];
  private readonly kafka: (KafkaColumn | undefined)[];
  private readonly scanned: unknown[];

  constructor(spec: JobSpec) {
    const src = sources(spec);
    const keys: string[] = [];
    this.slots = src.map((s) => {
      if (!('value' in s)) return -1;
      const at = keys.indexOf(s.value);
      if (at >= 0) return at;
      keys.push(s.value);
      return keys.length - 1;
    });
    this.kafka = src.map((s) => ('kafka' in s ? s.kafka : undefined));
    this.scanner = new JsonScanner(keys);
    this.scanned = new Array(keys.length).fill(undefined);
  }

  /** The raw values for the schema check, or DECLINE (then the JSON.parse path decides). */
  extract(r: RawRecord, offset: string): unknown[] | typeof DECLINE {
    let buf: Buffer | null | undefined = r.buf;
    let start = r.valueStart ?? 0;
    let end: number;
    if (buf !== undefined && r.valueLength !== undefined) {
      if (r.valueLength < 0) return DECLINE;
      end = start + r.valueLength;
    } else {
      buf = r.value;
      if (buf === null) return DECLINE;
      start = 0;
      end = buf.length;
    }
    const got = this.scanner.scan(buf, start, end, this.scanned);
    if (got === DECLINE) return DECLINE;
    const slots = this.slots;
    const out = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      out[i] = s >= 0 ? got[s] : kafkaValue(r, offset, this.kafka[i]!);
    }
    return out;
  }
}

export { DECLINE };
