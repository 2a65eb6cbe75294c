// The two record paths over the same records, for the tests that compare them: the columnar path
// (the walker, DuckDB's COPY, the Parquet read back by DuckDB) and the JSON.parse path
// (RecordProcessor), each as rows normalised for comparison (int64 as text, timestamps as epoch ms),
// with the partition directory each row goes to.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect } from 'vitest';
import type { JobSpec, ParquetSinkSpec } from '../../src/job/job-spec.ts';
import { JsonWalker } from '../../src/records/json-walker.ts';
import { RecordProcessor } from '../../src/records/record-processor.ts';
import { readsKafkaTimestamp, typedFields } from '../../src/sinks/parquet/columnar-plan.ts';
import { columnarCopySql, DECLINED } from '../../src/sinks/parquet/columnar-sql.ts';
import { runColumnarCopy } from '../../src/sinks/parquet/columnar-writer.ts';
import { partitioner } from '../../src/sinks/parquet/parquet-paths.ts';
import { Declined, encodeRecords } from '../../src/worker/columnar-task.ts';
import type { record } from './awkward-json.ts';

const root = mkdtempSync(join(tmpdir(), 'krange-columnar-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
export type Rec = ReturnType<typeof record>;

/** The columnar path over these records: rows as stored (normalised for comparison), or 'declined'. */
export async function columnar(job: JobSpec, records: Rec[]): Promise<unknown[][] | 'declined'> {
  const dir = join(root, String(runs++));
  mkdirSync(dir);
  let e: ReturnType<typeof encodeRecords>;
  try {
    e = encodeRecords(records, new JsonWalker(typedFields(job)), readsKafkaTimestamp(job));
  } catch (err) {
    if (err instanceof Declined) return 'declined';
    throw err;
  }
  const input = { values: join(dir, 'v.ndjson'), meta: join(dir, 'm.csv') };
  writeFileSync(input.values, e.values);
  writeFileSync(input.meta, e.meta);
  const sql = columnarCopySql(
    job,
    job.sinks[0] as Parameters<typeof columnarCopySql>[1],
    { job: job.name, topic: 't', partition: 3, begin: 0n, end: 100n },
    input,
    join(dir, 'out'),
  );
  let files: Awaited<ReturnType<typeof runColumnarCopy>>;
  try {
    files = await runColumnarCopy(sql, join(dir, 'out'), dir);
  } catch (err) {
    if (process.env['SHOW_DECLINES']) console.log(String(err).slice(0, 300));
    // Only its own refusal or a reader error: never a broken statement.
    expect(String(err)).toMatch(new RegExp(`${DECLINED}|Invalid Input Error`));
    return 'declined';
  }
  if (files.length === 0) return [];
  const names = Object.keys(job.schema);
  const cols = names.map((n) => {
    const kind = job.schema[n]!.kind;
    return kind === 'int64'
      ? `"${n}"::VARCHAR AS "${n}"`
      : kind === 'timestamp'
        ? `epoch_ms("${n}")::DOUBLE AS "${n}"`
        : `"${n}"`;
  });
  // Each row with its partition directory, as the sink names it.
  const dirOf = files.map((f) => `WHEN '${f.local}' THEN '${f.dir}'`).join(' ');
  return read(
    `SELECT ${cols.join(', ')}, CASE filename ${dirOf} END AS "dir"
     FROM read_parquet([${files.map((f) => `'${f.local}'`).join(', ')}], filename = true)
     ORDER BY ${names.includes('off') ? '"off"::BIGINT' : 'filename, file_row_number'}`,
    [...names, 'dir'],
  );
}

let db: Promise<DuckDBInstance> | undefined;
async function read(sql: string, names: string[]): Promise<unknown[][]> {
  db ??= DuckDBInstance.create(':memory:');
  const conn = await (await db).connect();
  const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
  conn.closeSync();
  return rows.map((r) => names.map((n) => normal(r[n])));
}

/** Values as compared: int64 as text, timestamps as epoch ms, numbers as numbers. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(normal);
  return v;
}

const PER_MS = { s: 0.001, ms: 1, us: 1000, ns: 1_000_000 } as const;

export function javascript(job: JobSpec, records: Rec[]): unknown[][] | 'refused' {
  const p = new RecordProcessor(job);
  const sink = job.sinks[0] as ParquetSinkSpec;
  const dirOf = partitioner(sink.partitionBy, job.schema);
  const out: unknown[][] = [];
  for (const r of records) {
    const res = p.process(r);
    if (!res.ok) return 'refused';
    for (const row of res.rows) {
      const names = Object.keys(job.schema);
      out.push([
        ...row.values.map((v, i) => {
          const ft = job.schema[names[i]!]!;
          if (ft.kind === 'int64' && v !== null) return String(v);
          if (ft.kind === 'timestamp' && v !== null) return Number(v) / PER_MS[ft.unit];
          if (ft.kind === 'list' && ft.item.kind === 'int64' && Array.isArray(v))
            return v.map((x) => (x === null ? null : String(x)));
          return normal(v);
        }),
        dirOf(row),
      ]);
    }
  }
  return out;
}
