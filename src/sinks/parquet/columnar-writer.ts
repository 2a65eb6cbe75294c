// Runs the columnar path's COPY (columnar-sql.ts) in an embedded DuckDB, one per worker thread with
// one DuckDB thread and a memory limit (the worker pool already spreads tasks over the cores), and
// lists the Parquet files it wrote with their row counts, for ParquetSink.commitFiles().

import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './columnar-sql.ts';

/** DuckDB's memory limit per worker thread (KRANGE_COLUMNAR_MEMORY, e.g. `512MB`); it spills beyond. */
const MEMORY_LIMIT = process.env['KRANGE_COLUMNAR_MEMORY'] ?? '256MB';

/**
 * Rows a partitioned COPY gathers before handing them to the files' writers (which then hold at
 * most a row group per file). DuckDB's default, 524,288, kept nearly all of a 500,000-record task
 * in memory, so the peak RSS grew with the task's size (BENCHMARKS.md, *Peak memory against N*);
 * 65,536 (the Parquet sink's default row group) bounds it and writes the same row groups.
 */
const PARTITIONED_FLUSH_ROWS = 65_536;

let connection: Promise<DuckDBConnection> | undefined;

function connect(scratch: string): Promise<DuckDBConnection> {
  connection ??= (async () => {
    // Loaded on first use: a worker of a job off the columnar path never maps DuckDB's ~50 MB
    // library, and where it cannot load the task is given back to the JavaScript path.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:', {
      threads: '1',
      memory_limit: MEMORY_LIMIT,
      preserve_insertion_order: 'true',
      partitioned_write_flush_threshold: String(PARTITIONED_FLUSH_ROWS),
      temp_directory: join(scratch, 'duckdb-spill'),
      // json and parquet are built in; nothing is fetched at run time.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    return db.connect();
  })();
  connection.catch(() => {
    connection = undefined;
  });
  return connection;
}

export interface WrittenFile {
  /** The partition directory (`dt=2026-11-24`), '' without partitioning. */
  dir: string;
  local: string;
  rows: number;
}

function parquetFiles(root: string, rel = ''): { dir: string; local: string }[] {
  const out: { dir: string; local: string }[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...parquetFiles(root, r));
    else if (e.name.endsWith('.parquet')) out.push({ dir: rel, local: join(root, r) });
  }
  return out;
}

/**
 * Runs `sql` (a COPY into `output`), then returns one file per partition directory. Throws what
 * DuckDB throws: the caller then runs the task on the JavaScript path.
 */
export async function runColumnarCopy(sql: string, output: string, scratch: string): Promise<WrittenFile[]> {
  const conn = await connect(scratch);
  mkdirSync(output, { recursive: true });
  await conn.run(sql);
  const files = parquetFiles(output);
  const dirs = new Set(files.map((f) => f.dir));
  if (dirs.size !== files.length) throw new Error('DuckDB wrote more than one file in a partition directory');
  if (files.length === 0) return [];
  const list = `[${files.map((f) => sqlString(f.local)).join(', ')}]`;
  const reader = await conn.runAndReadAll(`SELECT file_name, num_rows FROM parquet_file_metadata(${list})`);
  const rows = new Map<string, number>();
  for (const [name, n] of reader.getRows()) rows.set(String(name), Number(n));
  // The JavaScript path writes no file for no rows (an unpartitioned COPY writes an empty one).
  return files.map((f) => ({ ...f, rows: rows.get(f.local) ?? 0 })).filter((f) => f.rows > 0);
}
