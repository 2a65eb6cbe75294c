// Peak RSS of the columnar path's DuckDB step alone (sinks/parquet/columnar-sql.ts), against the
// task's size: N demo events as the task's NDJSON + CSV files, one COPY to snappy Parquet by date in
// the worker's embedded DuckDB (columnar-writer.ts: one thread, its memory limit); the process's RSS
// before and its peak (getrusage maxRSS) after each COPY.
//   node --import tsx bench/experiments/columnar-memory.ts [--records 500000] [--repeats 2]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { loadJob } from '../../src/job/job-loader.ts';
import type { ParquetSinkSpec } from '../../src/job/job-spec.ts';
import { columnarCopySql } from '../../src/sinks/parquet/columnar-sql.ts';
import { runColumnarCopy } from '../../src/sinks/parquet/columnar-writer.ts';
import { option } from '../lib/args.ts';

const n = Number(option('--records') ?? 500_000);
const repeats = Number(option('--repeats') ?? 2);
const { spec } = await loadJob(option('--job') ?? 'jobs/clickstream-columns.ts');
const dir = join(option('--dir') ?? tmpdir(), `krange-columnar-memory-${process.pid}`);
mkdirSync(dir, { recursive: true });
const input = { values: join(dir, 'values.ndjson'), meta: join(dir, 'meta.csv') };
{
  const values: string[] = [];
  const meta: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = clickEvent(i);
    values.push(JSON.stringify(e));
    meta.push(`${i},${Date.parse(e.ts)}`);
  }
  writeFileSync(input.values, `${values.join('\n')}\n`);
  writeFileSync(input.meta, `${meta.join('\n')}\n`);
}
/** Row groups of the files and their sizes, e.g. `8 of 65536 rows, 1 of 41248`. */
async function rowGroups(paths: string[]): Promise<string> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const list = paths.map((p) => `'${p}'`).join(', ');
  const r = await conn.runAndReadAll(
    `SELECT row_group_num_rows AS n, count(DISTINCT (file_name, row_group_id)) AS c FROM parquet_metadata([${list}]) GROUP BY 1 ORDER BY 2 DESC`,
  );
  conn.closeSync();
  return r
    .getRows()
    .map(([n, c]) => `${c} of ${n}`)
    .join(', ');
}

const MiB = 1024 * 1024;
const task = { job: spec.name, topic: 't', partition: 0, begin: 0n, end: BigInt(n) };
for (let r = 0; r < repeats; r++) {
  const out = join(dir, `out-${r}`);
  const sql = columnarCopySql(spec, spec.sinks[0] as ParquetSinkSpec, task, input, out);
  const before = process.memoryUsage().rss;
  const wall = performance.now();
  const files = await runColumnarCopy(sql, out, dir);
  const rows = files.reduce((s, f) => s + f.rows, 0);
  const groups = await rowGroups(files.map((f) => f.local));
  console.log(
    `${n} records -> ${rows} rows: RSS before ${(before / MiB).toFixed(0)} MiB, after ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, ${Math.round(performance.now() - wall)} ms wall; row groups ${groups}`,
  );
  rmSync(out, { recursive: true, force: true });
}
rmSync(dir, { recursive: true, force: true });
