// Where Parquet files go: Hive-style partition directories and deterministic names carrying topic,
// partition and zero-padded [begin, end) offsets, so a rerun of a range replaces its own files.

import type { ParquetSinkSpec } from '../../job/job-spec.ts';
import type { Schema, TimeUnit } from '../../job/schema.ts';
import { padOffset } from '../../offset-range.ts';
import { parseTimestampMs } from '../../records/time.ts';
import type { SinkRow } from '../sink.ts';

export function fileName(topic: string, partition: number, begin: bigint, end: bigint): string {
  return `part-${topic}-${partition}-${padOffset(begin)}-${padOffset(end)}.parquet`;
}

const FILE_RE = /^part-(.+)-(\d+)-(\d{20})-(\d{20})\.parquet$/;

/** Parses a name written by fileName(); undefined for other files. */
export function parseFileName(
  name: string,
): { topic: string; partition: number; begin: bigint; end: bigint } | undefined {
  const m = FILE_RE.exec(name);
  if (!m) return undefined;
  return { topic: m[1]!, partition: Number(m[2]), begin: BigInt(m[3]!), end: BigInt(m[4]!) };
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Formats epoch ms as `<name>=YYYY-MM-DD` or `<name>=YYYY-MM-DD-HH` (UTC), caching the last bucket:
 * rows of a task mostly share a day, and toISOString (and a new directory string, hashed again by the
 * sink's file lookup) per row showed up in profiles. Rows of one bucket get the very same string.
 */
function dirFormatter(name: string, format: 'date' | 'hour'): (ms: number) => string {
  const unit = format === 'date' ? DAY_MS : HOUR_MS;
  let lastBucket = Number.NaN;
  let last = '';
  return (ms) => {
    const bucket = Math.floor(ms / unit);
    if (bucket !== lastBucket) {
      const iso = new Date(bucket * unit).toISOString();
      last = `${name}=${format === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)}-${iso.slice(11, 13)}`}`;
      lastBucket = bucket;
    }
    return last;
  };
}

function toMillis(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = parseTimestampMs(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

const UNIT_PER_MS: Record<TimeUnit, number> = { s: 0.001, ms: 1, us: 1000, ns: 1_000_000 };

/**
 * Compiles the partition-directory function of a sink (`dt=2026-11-24`; '' without partitioning).
 * A timestamp field of the schema is read from the row's checked values, so it is parsed once.
 */
export function partitioner(spec: ParquetSinkSpec['partitionBy'], schema: Schema): (r: SinkRow) => string {
  if (spec === undefined) return () => '';
  const DEFAULT = `${spec.name}=__HIVE_DEFAULT_PARTITION__`;
  if ('kafkaTimestamp' in spec) {
    const dir = dirFormatter(spec.name, spec.format);
    return (r) => dir(r.timestamp);
  }
  const { field, name } = spec;
  if (spec.format === 'value') {
    // The last primitive value's directory is kept: consecutive rows mostly share it.
    let lastValue: unknown;
    let lastDir = '';
    return (r) => {
      const v = r.row[field];
      if (v === null || v === undefined) return DEFAULT;
      if (v === lastValue) return lastDir;
      const dir = `${name}=${encodeURIComponent(String(v))}`;
      const t = typeof v;
      if (t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean') {
        lastValue = v;
        lastDir = dir;
      }
      return dir;
    };
  }
  const dir = dirFormatter(name, spec.format);
  const index = Object.keys(schema).indexOf(field);
  const ft = schema[field];
  if (index >= 0 && ft?.kind === 'timestamp') {
    const perMs = UNIT_PER_MS[ft.unit];
    // Checked values: a number (safe integer) or a bigint, null for a null.
    return (r) => {
      const v = r.values[index];
      if (typeof v === 'number') return dir(v / perMs);
      return typeof v === 'bigint' ? dir(Number(v) / perMs) : DEFAULT;
    };
  }
  return (r) => {
    const ms = toMillis(r.row[field]);
    return ms === undefined || !Number.isFinite(ms) ? DEFAULT : dir(ms);
  };
}

export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}
