// Parquet writer settings for krange's encoder, measured: src/sinks/parquet/parquet-encoder.ts leaves
// parquet-wasm's defaults (dictionary on every column, PLAIN fallback). For the demo rows, columns
// that are unique per row (event_id, ts, kafka_offset, mostly user_id and session_id) pay for a
// dictionary attempt they never keep. Variants, each writing N demo rows (RowBatcher from src/) to
// one snappy file in row groups of 65,536, in a fresh process; DuckDB checks every file alike.
//   default     what krange does today
//   delta-int   int64/timestamp columns: DELTA_BINARY_PACKED, no dictionary
//   delta-int+  the same, and no dictionary for event_id and session_id (what krange does since)
//   chunk-stats delta-int+, statistics per column chunk only (no page-level statistics or index)
//   batch-8k    delta-int+, the column writers' mini-batch 8,192 values instead of 1,024
//   plain-float delta-int+, and no dictionary for the float64 column (price)
//   no-codec    delta-int+ uncompressed (not a candidate: what snappy costs)
//
//   node --import tsx bench/experiments/parquet-encoding.ts [--rows 1000000] [--repeats 3]

import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Table as ArrowTable, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { loadJob } from '../../src/job/job-loader.ts';
import { RowChecker } from '../../src/records/coerce.ts';
import { RowBatcher } from '../../src/sinks/parquet/arrow-columns.ts';
import { option } from '../lib/args.ts';
import { checkLocalParquet } from '../lib/parquet-check.ts';
import { runMeasured } from '../lib/proc-tree.ts';
import { summarize } from '../lib/stats.ts';

const VARIANTS = [
  'default',
  'delta-int',
  'delta-int+',
  'chunk-stats',
  'batch-8k',
  'plain-float',
  'no-codec',
] as const;
/** --variants a,b,c: only those (default: all). */
const chosen = (option('--variants')?.split(',') as Variant[] | undefined) ?? [...VARIANTS];
type Variant = (typeof VARIANTS)[number];

function props(variant: Variant, intColumns: string[]): pw.WriterProperties {
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.SNAPPY)
    .setMaxRowGroupSize(65_536)
    .setCreatedBy('krange');
  if (variant !== 'default') {
    for (const c of intColumns)
      b = b.setColumnDictionaryEnabled(c, false).setColumnEncoding(c, pw.Encoding.DELTA_BINARY_PACKED);
  }
  if (variant !== 'default' && variant !== 'delta-int') {
    for (const c of ['event_id', 'session_id']) b = b.setColumnDictionaryEnabled(c, false);
  }
  if (variant === 'chunk-stats') b = b.setStatisticsEnabled(pw.EnabledStatistics.Chunk);
  if (variant === 'batch-8k') b = b.setWriteBatchSize(8192);
  if (variant === 'plain-float') b = b.setColumnDictionaryEnabled('price', false);
  if (variant === 'no-codec') b = b.setCompression(pw.Compression.UNCOMPRESSED);
  return b.build();
}

async function child(variant: Variant, rows: number, out: string): Promise<void> {
  const { spec } = await loadJob(new URL('../../jobs/clickstream.ts', import.meta.url).pathname);
  const intColumns = Object.entries(spec.schema)
    .filter(([, ft]) => ft.kind === 'int64' || ft.kind === 'timestamp')
    .map(([n]) => n);
  // Rows first (not timed), then the encoder alone, as in bench/parquet-encoders.ts.
  const batcher = new RowBatcher(spec.schema);
  const checker = new RowChecker(spec.schema);
  const batches: ReturnType<RowBatcher['flush']>[] = [];
  for (let start = 0; start < rows; start += 65_536) {
    for (let i = start; i < Math.min(rows, start + 65_536); i++) {
      batcher.push(
        checker.check({ ...clickEvent(i), kafka_partition: i % 8, kafka_offset: String(i) } as Record<
          string,
          unknown
        >),
      );
    }
    batches.push(batcher.flush());
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const source = new ReadableStream<pw.RecordBatch>({
    start(controller) {
      for (const b of batches) {
        const rb = pw.Table.fromIPCStream(tableToIPC(new ArrowTable([b]), 'stream')).recordBatch(0);
        if (rb) controller.enqueue(rb);
      }
      controller.close();
    },
  });
  const stream = (await pw.transformParquetStream(
    source,
    props(variant, intColumns),
  )) as ReadableStream<Uint8Array>;
  await pipeline(
    Readable.fromWeb(stream as import('node:stream/web').ReadableStream),
    createWriteStream(out),
  );
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
  );
}

async function main(): Promise<void> {
  const rows = Number(option('--rows') ?? 1_000_000);
  const repeats = Number(option('--repeats') ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'krange-encoding-'));
  const got = new Map<Variant, { cpuMs: number; wallMs: number; bytes: number; checksum: string }[]>(
    chosen.map((v) => [v, []]),
  );
  try {
    for (let r = 0; r < repeats; r++) {
      for (const v of r % 2 === 0 ? chosen : [...chosen].reverse()) {
        const out = join(dir, `${v}.parquet`);
        const res = await runMeasured(process.execPath, [
          '--import',
          'tsx',
          import.meta.filename,
          '--child',
          v,
          '--rows',
          String(rows),
          '--out',
          out,
        ]);
        if (res.code !== 0) throw new Error(`${v}: ${res.stderr.slice(-1500)}`);
        const s = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as {
          cpuMs: number;
          wallMs: number;
        };
        const check = await checkLocalParquet(out, false);
        got.get(v)!.push({ ...s, bytes: statSync(out).size, checksum: `${check.rows}:${check.checksum}` });
        process.stderr.write(
          `${v.padEnd(11)} #${r}: cpu ${s.cpuMs.toFixed(0)} ms, ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, ${check.rows} rows\n`,
        );
        rmSync(out, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = summarize(got.get(chosen[0]!)!.map((s) => s.cpuMs)).median;
  const baseBytes = got.get(chosen[0]!)![0]!.bytes;
  const sums = new Set([...got.values()].flatMap((l) => l.map((s) => s.checksum)));
  process.stdout.write(
    `${rows} rows, encoder only (Arrow IPC -> parquet-wasm), median of ${repeats}; files read back alike: ${sums.size === 1}\n`,
  );
  for (const v of chosen) {
    const cpu = summarize(got.get(v)!.map((s) => s.cpuMs)).median;
    const bytes = got.get(v)![0]!.bytes;
    process.stdout.write(
      `${v.padEnd(11)} cpu ${cpu.toFixed(0).padStart(6)} ms (${((100 * (cpu - base)) / base).toFixed(1)}%), ${(bytes / 2 ** 20).toFixed(1)} MiB (${((100 * (bytes - baseBytes)) / baseBytes).toFixed(1)}%)\n`,
    );
  }
}

const childVariant = option('--child') as Variant | undefined;
if (childVariant !== undefined)
  await child(childVariant, Number(option('--rows')), option('--out') ?? 'out.parquet');
else await main();
process.exit(0);
