// The worker's per-record pipeline without the network: runTask() of the demo job on records held
// in memory (Kafka's part replaced by an in-memory reader yielding 4 MiB-sized batches of records
// over one buffer, as a fetch would), writing Parquet to a local file instead of WebHDFS. Single thread, so CPU time is a
// steady measure even on a busy machine. A/B mode runs copies of krange made by snapshot.sh, each
// in a fresh process, alternating.
//
//   node --import tsx bench/experiments/pipeline.ts --ab base=/tmp/krange-exp/base hoist=/tmp/krange-exp/hoist \
//     [--repeats 5] [--records 250000] [--rounds 1] [--env name:NODE_OPTIONS=--max-semi-space-size=64]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { option, variantArgs, variantEnv } from '../lib/args.ts';
import { runMeasured } from '../lib/proc-tree.ts';
import { summarize } from '../lib/stats.ts';

const records = Number(option('--records') ?? 250_000);
/**
 * The job to run, relative to the copy's root: jobs/clickstream-columns.ts takes the columnar path
 * (DuckDB; KRANGE_COLUMNAR=0 for the JavaScript path), jobs/clickstream.ts the JS transform.
 */
const jobFile = option('--job') ?? 'jobs/clickstream.ts';

async function child(root: string): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'krange-pipeline-'));
  process.env['KRANGE_CLICKSTREAM_TOPIC'] = 'pipeline';
  process.env['KRANGE_CLICKSTREAM_PATH'] = `file://${out}`;
  const imp = (p: string) => import(pathToFileURL(join(root, p)).href);
  const { loadJob } = await imp('src/job/job-loader.ts');
  const { RecordProcessor } = await imp('src/records/record-processor.ts');
  const { createSinks } = await imp('src/sinks/sink-factory.ts');
  const { runTask } = await imp('src/worker/task-runner.ts');
  const pino = (await import('pino')).default;
  const { spec } = await loadJob(join(root, jobFile));

  // What the range reader hands over per record: a FetchedRecord over the fetch buffer (key and
  // value sliced on demand), or, for snapshots from before it existed, kafkajs-style Buffers.
  const FetchedRecord = (await imp('src/kafka/record-batch.ts').catch(() => ({}))).FetchedRecord as
    | (new (
        ...a: unknown[]
      ) => unknown)
    | undefined;
  const numberOffsets = FetchedRecord !== undefined && 'offsetText' in FetchedRecord.prototype;
  const perBatch = Math.floor((4 * 1024 * 1024) / 230);
  const batches: unknown[][] = [];
  for (let i = 0; i < records; i += perBatch) {
    const b = [];
    const events = [];
    for (let j = i; j < Math.min(records, i + perBatch); j++) events.push(clickEvent(j));
    const keys = events.map((e) => Buffer.from(String(e.user_id)));
    const values = events.map((e) => Buffer.from(JSON.stringify(e)));
    const buf = Buffer.concat(keys.flatMap((k, x) => [k, values[x]!]));
    let pos = 0;
    for (let x = 0; x < events.length; x++) {
      const j = i + x;
      const e = events[x]!;
      const k = keys[x]!;
      const v = values[x]!;
      const common = { offset: BigInt(j), timestamp: Date.parse(e.ts) };
      b.push(
        FetchedRecord
          ? new FetchedRecord(
              'pipeline',
              0,
              // As the reader makes them: a number offset where FetchedRecord takes one (offsetText).
              numberOffsets ? j : common.offset,
              common.timestamp,
              {},
              buf,
              pos,
              k.length,
              pos + k.length,
              v.length,
            )
          : { topic: 'pipeline', partition: 0, ...common, key: k, value: v, headers: {} },
      );
      pos += k.length + v.length;
    }
    batches.push(b);
  }
  const reader = {
    async *read() {
      for (const b of batches) yield b;
    },
    async close() {},
  };
  const sinks = await createSinks(spec.sinks);
  // The columnar path as the worker takes it (worker-main.ts), in copies that have it.
  const columnar = await imp('src/worker/columnar-task.ts').catch(() => undefined);
  // columnarRefusal moved to columnar-plan.ts; older copies have it in columnar-sql.ts.
  const sql =
    (await imp('src/sinks/parquet/columnar-plan.ts').catch(() => undefined)) ??
    (await imp('src/sinks/parquet/columnar-sql.ts').catch(() => undefined));
  const useColumnar =
    columnar !== undefined && sql.columnarRefusal(spec) === undefined && !sql.columnarDisabled();
  const runOnce = async () => {
    const task = {
      job: spec,
      iteration: 0,
      taskId: 't0',
      range: { topic: 'pipeline', partition: 0, begin: 0n, end: BigInt(records) },
      attempt: 1,
      reader,
      processor: new RecordProcessor(spec),
      sinks,
      deadLetter: undefined,
      logger: pino({ level: 'warn' }),
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fast = useColumnar ? await columnar.runColumnarTask(task, sinks[0]) : undefined;
    const res = fast ?? (await runTask(task));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { res, fast, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  // With --rounds N > 1 the task runs N times in this process and the figures are the medians of
  // rounds 2..N (the first warms the JIT up): steadier than one round on a loaded machine.
  const rounds = Math.max(1, Number(option('--rounds') ?? 1));
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await runOnce());
  const counted = rounds > 1 ? runs.slice(1) : runs;
  const { res, fast } = runs[runs.length - 1]!;
  const wallMs = summarize(counted.map((x) => x.wallMs)).median;
  const cpuMs = summarize(counted.map((x) => x.cpuMs)).median;
  rmSync(out, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ records: res.records, path: fast === undefined ? 'js' : 'columnar', wallMs, cpuMs, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

async function ab(): Promise<void> {
  const repeats = Number(option('--repeats') ?? 5);
  const variants = variantArgs(process.argv.slice(process.argv.indexOf('--ab') + 1));
  const env = variantEnv();
  const got = new Map<string, { wallMs: number; cpuMs: number; maxRssMiB: number }[]>(
    variants.map((v) => [v.name, []]),
  );
  for (let r = 0; r < repeats; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const res = await runMeasured(
        process.execPath,
        [
          '--import',
          'tsx',
          import.meta.filename,
          '--child',
          v.dir,
          '--records',
          String(records),
          '--job',
          jobFile,
          '--rounds',
          option('--rounds') ?? '1',
        ],
        { env: { ...process.env, ...env.get(v.name) } },
      );
      if (res.code !== 0) throw new Error(`${v.name}: ${res.stderr.slice(-1500)}`);
      const s = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as {
        wallMs: number;
        cpuMs: number;
        maxRssMiB: number;
      };
      got.get(v.name)!.push(s);
      process.stderr.write(
        `${v.name.padEnd(12)} #${r} (${(s as { path?: string }).path ?? 'js'} path): cpu ${s.cpuMs.toFixed(0)} ms, wall ${s.wallMs.toFixed(0)} ms, rss ${s.maxRssMiB.toFixed(0)} MiB\n`,
      );
    }
  }
  const base = variants[0]!.name;
  const med = (n: string, k: 'wallMs' | 'cpuMs' | 'maxRssMiB') =>
    summarize(got.get(n)!.map((s) => s[k])).median;
  process.stdout.write(
    `${records} records, median of ${repeats}:\nvariant      cpu ms   wall ms  rss MiB  cpu vs base  wall vs base  records/s (cpu)\n`,
  );
  for (const v of variants) {
    const d = (k: 'wallMs' | 'cpuMs') =>
      `${((100 * (med(v.name, k) - med(base, k))) / med(base, k)).toFixed(1)}%`;
    process.stdout.write(
      `${v.name.padEnd(12)} ${med(v.name, 'cpuMs').toFixed(0).padStart(6)} ${med(v.name, 'wallMs').toFixed(0).padStart(9)} ${med(v.name, 'maxRssMiB').toFixed(0).padStart(8)} ${d('cpuMs').padStart(12)} ${d('wallMs').padStart(13)} ${(records / (med(v.name, 'cpuMs') / 1000)).toFixed(0).padStart(16)}\n`,
    );
  }
}

const childRoot = option('--child');
if (childRoot !== undefined) await child(childRoot);
else await ab();
process.exit(0);
