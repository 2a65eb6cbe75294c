// krange's marker table beside the sink's table: one row per loaded range `(job, target, topic,
// partition, begin, end)`, inserted in the same transaction as the range's rows. A replay reads the
// markers overlapping its range and writes only the records no marker covers; the commit takes a
// per-partition advisory lock and reads them again, so two attempts can never both load a record.

import type { PoolClient } from 'pg';
import { CoveredRanges } from '../covered-ranges.ts';
import { quoteIdent } from './pg-table.ts';

export const MARKER_TABLE = 'krange_loaded_ranges';

export interface MarkerKey {
  job: string;
  /** `schema.table` the rows went to: one job may load several tables. */
  target: string;
  topic: string;
  partition: number;
}

export interface Marker extends MarkerKey {
  begin: bigint;
  end: bigint;
  iteration: number;
  task: string;
  rows: number;
}

export function markerTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(MARKER_TABLE)}`;
}

export async function ensureMarkerTable(client: PoolClient, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`krange:markers:${schema}`]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${markerTable(schema)} (
      job text NOT NULL, target text NOT NULL, topic text NOT NULL, kafka_partition integer NOT NULL,
      begin_offset bigint NOT NULL, end_offset bigint NOT NULL,
      iteration integer NOT NULL, task text NOT NULL, rows bigint NOT NULL,
      loaded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (job, target, topic, kafka_partition, begin_offset, end_offset))`);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`krange:markers:${schema}`]);
  }
}

/** The loaded ranges of the partition that overlap [begin, end). */
export async function coveredRanges(
  client: PoolClient,
  schema: string,
  k: MarkerKey,
  begin: bigint,
  end: bigint,
): Promise<CoveredRanges> {
  const { rows } = await client.query<{ b: string; e: string }>(
    `SELECT begin_offset::text AS b, end_offset::text AS e FROM ${markerTable(schema)}
     WHERE job = $1 AND target = $2 AND topic = $3 AND kafka_partition = $4
       AND begin_offset < $6::bigint AND end_offset > $5::bigint`,
    [k.job, k.target, k.topic, k.partition, begin.toString(), end.toString()],
  );
  return new CoveredRanges(rows.map((r) => ({ begin: BigInt(r.b), end: BigInt(r.e) })));
}

/** Serialises the commits of one partition's ranges (held until the transaction ends). */
export async function lockPartition(client: PoolClient, k: MarkerKey): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `krange:range:${k.job}:${k.target}:${k.topic}:${k.partition}`,
  ]);
}

export async function insertMarker(client: PoolClient, schema: string, m: Marker): Promise<void> {
  await client.query(
    `INSERT INTO ${markerTable(schema)} (job, target, topic, kafka_partition, begin_offset, end_offset, iteration, task, rows)
     VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7, $8, $9)`,
    [
      m.job,
      m.target,
      m.topic,
      m.partition,
      m.begin.toString(),
      m.end.toString(),
      m.iteration,
      m.task,
      m.rows,
    ],
  );
}
