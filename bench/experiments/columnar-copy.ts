// The columnar path's DuckDB step alone (sinks/parquet/columnar-sql.ts): N demo events as the task's
// NDJSON + CSV files, one COPY to snappy Parquet by date, one DuckDB thread; CPU ms of the process.
//   node --import tsx bench/experiments/columnar-copy.ts [--records 200000] [--job jobs/clickstream-columns.ts] [--repeats 3]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { loadJob } from '../../src/job/job-loader.ts';
import type { ParquetSinkSpec } from '../../src/job/job-spec.ts';
import { columnarCopySql } from '../../src/sinks/parquet/columnar-sql.ts';
import { runColumnarCopy } from '../../src/sinks/parquet/columnar-writer.ts';
import { option } from '../lib/args.ts';

const n = Number(option('--records') ?? 200_000);
const repeats = Number(option('--repeats') ?? 3);
const { spec } = await loadJob(option('--job') ?? 'jobs/clickstream-columns.ts');
const dir = join(tmpdir(), `krange-columnar-copy-${process.pid}`);
mkdirSync(dir, { recursive: true });
const values: string[] = [];
const meta: string[] = [];
for (let i = 0; i < n; i++) {
  const e = clickEvent(i);
  values.push(JSON.stringify(e));
  meta.push(`${i},${Date.parse(e.ts)}`);
}
const input = { values: join(dir, 'values.ndjson'), meta: join(dir, 'meta.csv') };
writeFileSync(input.values, `${values.join('\n')}\n`);
writeFileSync(input.meta, `${meta.join('\n')}\n`);
const task = { job: spec.name, topic: 't', partition: 0, begin: 0n, end: BigInt(n) };
for (let r = 0; r < repeats; r++) {
  const out = join(dir, `out-${r}`);
  const sql = columnarCopySql(spec, spec.sinks[0] as ParquetSinkSpec, task, input, out);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const files = await runColumnarCopy(sql, out, dir);
  const u = process.cpuUsage(cpu);
  const rows = files.reduce((s, f) => s + f.rows, 0);
  console.log(
    `${n} records -> ${rows} rows, ${files.length} file(s): ${Math.round((u.user + u.system) / 1000)} ms CPU, ${Math.round(performance.now() - wall)} ms wall`,
  );
}
rmSync(dir, { recursive: true, force: true });
