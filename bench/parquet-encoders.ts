// Which Parquet encoder krange uses, decided by measurement: N clickstream rows (the demo job's
// rows: the event plus kafka_partition and a decimal-string kafka_offset, as the transform returns
// them) -> one snappy Parquet file, in row groups of 65,536, by
//   parquet-wasm      krange's path: coerce RowChecker + arrow-columns RowBatcher -> parquet-encoder (Rust in WASM)
//   hyparquet-writer  pure JS, columnar input (rows transposed per row group)
//   parquetjs-lite    pure JS, row input (the long-standing parquetjs fork)
// Each encoder runs in a child process of its own (so its peak RSS is its own); rows are generated
// one row group at a time inside the child and that time is not counted. Each file is then read by
// DuckDB: row count and checksum must be equal across encoders.
//
//   node --import tsx bench/parquet-encoders.ts [--rows 1000000] [--only parquet-wasm,...]

import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { clickEvent } from '../src/demo/clickstream-events.ts';
import { checkLocalParquet, type ParquetCheck } from './lib/parquet-check.ts';
import { runMeasured } from './lib/proc-tree.ts';

export const ENCODERS = ['parquet-wasm', 'hyparquet-writer', 'parquetjs-lite'] as const;
export type EncoderName = (typeof ENCODERS)[number];

const ROW_GROUP = 65_536;

type Row = ReturnType<typeof clickEvent> & { kafka_partition: number; kafka_offset: string };

function row(i: number): Row {
  return { ...clickEvent(i), kafka_partition: i % 8, kafka_offset: String(i) };
}

interface ChildReport {
  encoder: EncoderName;
  rows: number;
  encodeMs: number;
  generateMs: number;
  maxRssBytes: number;
}

/** Feeds `rows` rows, a row group at a time, to `consume`; returns (encode ms, generate ms). */
async function drive(
  rows: number,
  consume: (batch: Row[]) => Promise<void> | void,
): Promise<[number, number]> {
  let encodeMs = 0;
  let generateMs = 0;
  for (let start = 0; start < rows; start += ROW_GROUP) {
    const t0 = performance.now();
    const batch: Row[] = [];
    for (let i = start; i < Math.min(rows, start + ROW_GROUP); i++) batch.push(row(i));
    const t1 = performance.now();
    await consume(batch);
    encodeMs += performance.now() - t1;
    generateMs += t1 - t0;
  }
  return [encodeMs, generateMs];
}

async function encodeParquetWasm(rows: number, out: string): Promise<[number, number]> {
  const { loadJob } = await import('../src/job/job-loader.ts');
  const { RowChecker } = await import('../src/records/coerce.ts');
  const { RowBatcher } = await import('../src/sinks/parquet/arrow-columns.ts');
  const { openParquetWriter } = await import('../src/sinks/parquet/parquet-encoder.ts');
  const { spec } = await loadJob(fileURLToPath(new URL('../jobs/clickstream.ts', import.meta.url)));
  const batcher = new RowBatcher(spec.schema);
  const checker = new RowChecker(spec.schema);
  const writer = openParquetWriter({ compression: 'snappy', rowGroupSize: ROW_GROUP });
  const done = pipeline(writer.output, createWriteStream(out));
  let tail = 0;
  const [encodeMs, generateMs] = await drive(rows, async (batch) => {
    for (const r of batch) batcher.push(checker.check(r as unknown as Record<string, unknown>));
    await writer.write(batcher.flush());
  });
  const t0 = performance.now();
  writer.close();
  await done;
  tail = performance.now() - t0;
  return [encodeMs + tail, generateMs];
}

async function encodeHyparquet(rows: number, out: string): Promise<[number, number]> {
  const { ParquetWriter } = await import('hyparquet-writer');
  const { fileWriter } = await import('hyparquet-writer/src/node.js' as string as 'hyparquet-writer');
  const utf8 = (name: string, nullable = false) => ({
    name,
    type: 'BYTE_ARRAY' as const,
    converted_type: 'UTF8' as const,
    repetition_type: nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const),
  });
  const schema = [
    { name: 'root', num_children: 12 },
    utf8('event_id'),
    { name: 'user_id', type: 'INT64' as const, repetition_type: 'REQUIRED' as const },
    utf8('session_id'),
    {
      name: 'ts',
      type: 'INT64' as const,
      converted_type: 'TIMESTAMP_MILLIS' as const,
      repetition_type: 'REQUIRED' as const,
    },
    utf8('url'),
    utf8('referrer', true),
    utf8('country'),
    utf8('device'),
    { name: 'price', type: 'DOUBLE' as const, repetition_type: 'OPTIONAL' as const },
    { name: 'tags', repetition_type: 'REQUIRED' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    utf8('element'),
    { name: 'kafka_partition', type: 'INT32' as const, repetition_type: 'REQUIRED' as const },
    { name: 'kafka_offset', type: 'INT64' as const, repetition_type: 'REQUIRED' as const },
  ];
  const writer = new ParquetWriter({
    writer: (fileWriter as unknown as (f: string) => never)(out),
    schema,
    codec: 'SNAPPY',
    createdBy: 'krange-bench',
  });
  const result = await drive(rows, async (batch) => {
    const n = batch.length;
    const userId = new BigInt64Array(n);
    const ts: number[] = new Array(n);
    const partition = new Int32Array(n);
    const offset = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const r = batch[i]!;
      userId[i] = BigInt(r.user_id);
      ts[i] = Date.parse(r.ts);
      partition[i] = r.kafka_partition;
      offset[i] = BigInt(r.kafka_offset);
    }
    await writer.write({
      rowGroupSize: ROW_GROUP,
      columnData: [
        { name: 'event_id', data: batch.map((r) => r.event_id) },
        { name: 'user_id', data: userId },
        { name: 'session_id', data: batch.map((r) => r.session_id) },
        { name: 'ts', data: ts },
        { name: 'url', data: batch.map((r) => r.url) },
        { name: 'referrer', data: batch.map((r) => r.referrer) },
        { name: 'country', data: batch.map((r) => r.country) },
        { name: 'device', data: batch.map((r) => r.device) },
        { name: 'price', data: batch.map((r) => r.price) },
        { name: 'tags', data: batch.map((r) => r.tags) },
        { name: 'kafka_partition', data: partition },
        { name: 'kafka_offset', data: offset },
      ],
    });
  });
  const t0 = performance.now();
  await writer.finish();
  return [result[0] + performance.now() - t0, result[1]];
}

async function encodeParquetjsLite(rows: number, out: string): Promise<[number, number]> {
  // CommonJS: Node exposes module.exports as the default export.
  const mod = await import('parquetjs-lite');
  const parquet = (mod as unknown as { default: typeof mod }).default;
  const c = { compression: 'SNAPPY' };
  const schema = new parquet.ParquetSchema({
    event_id: { type: 'UTF8', ...c },
    user_id: { type: 'INT64', ...c },
    session_id: { type: 'UTF8', ...c },
    ts: { type: 'TIMESTAMP_MILLIS', ...c },
    url: { type: 'UTF8', ...c },
    referrer: { type: 'UTF8', optional: true, ...c },
    country: { type: 'UTF8', ...c },
    device: { type: 'UTF8', ...c },
    price: { type: 'DOUBLE', optional: true, ...c },
    tags: { type: 'UTF8', repeated: true, ...c },
    kafka_partition: { type: 'INT32', ...c },
    kafka_offset: { type: 'INT64', ...c },
  });
  const writer = await parquet.ParquetWriter.openFile(schema, out, { rowGroupSize: ROW_GROUP });
  const result = await drive(rows, async (batch) => {
    for (const r of batch) await writer.appendRow({ ...r, ts: new Date(r.ts) });
  });
  const t0 = performance.now();
  await writer.close();
  return [result[0] + performance.now() - t0, result[1]];
}

async function child(encoder: EncoderName, rows: number, out: string): Promise<void> {
  const fn = {
    'parquet-wasm': encodeParquetWasm,
    'hyparquet-writer': encodeHyparquet,
    'parquetjs-lite': encodeParquetjsLite,
  }[encoder];
  const [encodeMs, generateMs] = await fn(rows, out);
  const report: ChildReport = {
    encoder,
    rows,
    encodeMs,
    generateMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

export interface EncoderResult {
  encoder: EncoderName;
  rows: number;
  encodeMs: number;
  rowsPerSec: number;
  /** Peak RSS of the child process (getrusage maxrss), bytes; row generation included. */
  peakRssBytes: number;
  fileBytes: number;
  check: ParquetCheck;
  error?: string;
}

export interface EncoderBench {
  rows: number;
  rowGroupSize: number;
  results: EncoderResult[];
  /** Every encoder's file read back with the same row count and checksum. */
  consistent: boolean;
}

export async function benchEncoders(
  rows: number,
  only: readonly EncoderName[] = ENCODERS,
): Promise<EncoderBench> {
  const dir = mkdtempSync(join(tmpdir(), 'krange-encoders-'));
  const self = fileURLToPath(import.meta.url);
  const results: EncoderResult[] = [];
  try {
    for (const encoder of only) {
      const out = join(dir, `${encoder}.parquet`);
      const r = await runMeasured(process.execPath, [
        '--import',
        'tsx',
        self,
        '--child',
        encoder,
        '--rows',
        String(rows),
        '--out',
        out,
      ]);
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.code !== 0 || !line.startsWith('{')) {
        const error = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
        results.push({
          encoder,
          rows,
          encodeMs: Number.NaN,
          rowsPerSec: Number.NaN,
          peakRssBytes: r.peakRssBytes,
          fileBytes: 0,
          check: { rows: 0, checksum: '0', files: 0, bytes: 0 },
          error,
        });
        process.stderr.write(`[bench] ${encoder} failed:\n${error}\n`);
        continue;
      }
      const rep = JSON.parse(line) as ChildReport;
      const check = await checkLocalParquet(out, false);
      results.push({
        encoder,
        rows,
        encodeMs: rep.encodeMs,
        rowsPerSec: rows / (rep.encodeMs / 1000),
        peakRssBytes: Math.max(rep.maxRssBytes, r.peakRssBytes),
        fileBytes: statSync(out).size,
        check,
      });
      rmSync(out, { force: true });
      process.stderr.write(
        `[bench] ${encoder.padEnd(17)} ${(rows / (rep.encodeMs / 1000)).toFixed(0).padStart(9)} rows/s  ` +
          `peak RSS ${(rep.maxRssBytes / 2 ** 20).toFixed(0)} MiB  rows ${check.rows}  checksum ${check.checksum}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ok = results.filter((r) => r.error === undefined);
  const consistent =
    ok.length === results.length &&
    ok.every((r) => r.check.rows === rows && r.check.checksum === ok[0]?.check.checksum);
  return { rows, rowGroupSize: ROW_GROUP, results, consistent };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = Number(arg('--rows') ?? 1_000_000);
  const childEncoder = arg('--child') as EncoderName | undefined;
  if (childEncoder !== undefined) {
    await child(childEncoder, rows, arg('--out') ?? 'out.parquet');
  } else {
    const only = (arg('--only')?.split(',') as EncoderName[] | undefined) ?? ENCODERS;
    const res = await benchEncoders(rows, only);
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    if (!res.consistent) process.exitCode = 1;
  }
}
