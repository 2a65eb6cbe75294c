// Reads Parquet back with DuckDB, a reader independent of every writer measured, and reduces a
// clickstream data set to (row count, checksum, rows per dt). The checksum hashes every column in a
// normalised form (timestamps as epoch ms, lists joined), so files from different writers (krange,
// Spark, hyparquet-writer, parquetjs-lite) compare equal when they hold the same rows.

import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { downloadParquet } from '../../test/helpers/duckdb.ts';

export interface ParquetCheck {
  rows: number;
  /** sum(hash(normalised row)) as a decimal string. */
  checksum: string;
  /** Rows per hive partition dt=..., when the files are partitioned. */
  byDt?: Record<string, number>;
  /** Files read. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
}

const ROW_HASH = `hash(event_id, user_id::BIGINT, session_id, epoch_ms(ts), url, referrer, country, device,
  price::DOUBLE, array_to_string(tags, '|'), kafka_partition::INTEGER, kafka_offset::BIGINT)`;

async function sql(text: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(text)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

/** Checks a local file or a directory of files (hive-partitioned when `partitioned`). */
export async function checkLocalParquet(path: string, partitioned: boolean): Promise<ParquetCheck> {
  const src = partitioned
    ? `read_parquet('${path}/**/*.parquet', hive_partitioning = true)`
    : `read_parquet('${path}')`;
  const [tot] = await sql(`SELECT count(*) AS n, sum(${ROW_HASH})::VARCHAR AS checksum FROM ${src}`);
  const files = await sql(
    `SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM read_blob('${partitioned ? `${path}/**/*.parquet` : path}')`,
  );
  const out: ParquetCheck = {
    rows: Number(tot?.['n'] ?? 0),
    checksum: String(tot?.['checksum'] ?? '0'),
    files: Number(files[0]?.['files'] ?? 0),
    bytes: Number(files[0]?.['bytes'] ?? 0),
  };
  if (partitioned) {
    const rows = await sql(`SELECT dt::VARCHAR AS dt, count(*) AS n FROM ${src} GROUP BY dt ORDER BY dt`);
    out.byDt = Object.fromEntries(rows.map((r) => [String(r['dt']), Number(r['n'])]));
  }
  return out;
}

/** Copies a partitioned data set from HDFS (WebHDFS) to a temporary directory and checks it. */
export async function checkHdfsParquet(dir: string): Promise<ParquetCheck> {
  const { local, files } = await downloadParquet(dir);
  try {
    if (files.length === 0) return { rows: 0, checksum: '0', byDt: {}, files: 0, bytes: 0 };
    return await checkLocalParquet(local, true);
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
}
