// Reads Parquet back with DuckDB, an independent reader. HDFS files are first copied to a local
// temporary directory (the WebHDFS client itself is checked byte for byte by webhdfs-client-streams-renames-and-reports-remote-errors.test.ts).
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { KrangeError } from '../../src/errors.ts';
import { WebHdfsClient } from '../../src/fs/webhdfs-client.ts';

export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

export function hdfsClient(): WebHdfsClient {
  return new WebHdfsClient({
    url: process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870',
    user: 'krange',
  });
}

/** Lists every file under an HDFS directory (recursively), relative to it. */
export async function listHdfs(client: WebHdfsClient, dir: string, prefix = ''): Promise<string[]> {
  let entries: Awaited<ReturnType<WebHdfsClient['listStatus']>>;
  try {
    entries = await client.listStatus(dir);
  } catch (err) {
    // Gone (or never there): a running job may delete a directory while we walk it.
    if (err instanceof KrangeError && err.details['status'] === 404) return [];
    throw err;
  }
  const out: string[] = [];
  for (const s of entries) {
    const rel = prefix ? `${prefix}/${s.pathSuffix}` : s.pathSuffix;
    if (s.type === 'DIRECTORY') out.push(...(await listHdfs(client, `${dir}/${s.pathSuffix}`, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Copies every .parquet file under an HDFS directory (of the shared HDFS by default) to a fresh local directory. */
export async function downloadParquet(
  dir: string,
  client: WebHdfsClient = hdfsClient(),
): Promise<{ local: string; files: string[] }> {
  const local = mkdtempSync(join(tmpdir(), 'krange-hdfs-'));
  const files = (await listHdfs(client, dir)).filter(
    (f) => f.endsWith('.parquet') && !f.startsWith('_temporary'),
  );
  for (const f of files) {
    const target = join(local, f);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await client.readFile(`${dir}/${f}`));
  }
  return { local, files };
}

/** Every .parquet file under a local directory, sorted (full paths). */
export function localParquetFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? localParquetFiles(p) : [p];
    })
    .filter((p) => p.endsWith('.parquet'))
    .sort();
}

export function parquetGlob(local: string): string {
  return `read_parquet('${local}/**/*.parquet', hive_partitioning = true)`;
}
