// Where Parquet files go: Hive-style partition directories and deterministic names carrying topic,
// partition and zero-padded [begin, end) offsets, so a rerun of a range replaces its own files.

import type { ParquetSinkSpec } from '../job/job-spec.ts';
import { padOffset } from '../offset-range.ts';
import type { SinkRow } from './sink.ts';

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

function formatTime(ms: number, format: 'date' | 'hour'): string {
  const iso = new Date(ms).toISOString();
  return format === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)}-${iso.slice(11, 13)}`;
}

function toMillis(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** The partition directory of a row (`dt=2026-11-24`), '' without partitioning. */
export function partitionDir(spec: ParquetSinkSpec['partitionBy'], r: SinkRow): string {
  if (spec === undefined) return '';
  if ('kafkaTimestamp' in spec) return `${spec.name}=${formatTime(r.timestamp, spec.format)}`;
  const v = r.row[spec.field];
  if (spec.format === 'value') {
    const s = v === null || v === undefined ? '__HIVE_DEFAULT_PARTITION__' : String(v);
    return `${spec.name}=${encodeURIComponent(s)}`;
  }
  const ms = toMillis(v);
  if (ms === undefined || !Number.isFinite(ms)) return `${spec.name}=__HIVE_DEFAULT_PARTITION__`;
  return `${spec.name}=${formatTime(ms, spec.format)}`;
}

export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}
