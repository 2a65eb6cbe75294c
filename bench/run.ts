// The benchmark driver (`make bench`, `make bench-quick`). Runs the workloads in order, each one
// allowed to fail without stopping the others, writes the results as JSON to bench/results/ and
// renders them (bench/render.ts) to BENCHMARKS.md.
//
//   node --import tsx bench/run.ts [--quick [--repeats N]] [--with-spark] [--sinks postgres,kafka] [--sink-records N]
//     [--w1avro-records N] [--only w1,w1avro,noop,limits,profile,scaling,sinks,aggregator,encoders]
//
// --quick: tiny sizes and one repeat, Spark skipped unless --with-spark; a CI smoke test that makes
// no time assertions (it fails only when a workload errors or an output does not check out), and
// renders to bench/results/BENCHMARKS.quick.md so it never overwrites the full results.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/engines.ts';
import { load, machineInfo } from './lib/machine.ts';
import { waitForService, webhdfs } from './lib/services.ts';
import { ensureDemoTopic, topicInfo } from './lib/topics.ts';
import { benchEncoders } from './parquet-encoders.ts';
import { type BenchResults, renderMarkdown, summaryLines } from './render.ts';
import { benchAggregator, combineAggregatorRuns } from './workloads/aggregator.ts';
import { cpuLimit, hdfsLimit, kafkaLimit } from './workloads/limits.ts';
import { benchNoop } from './workloads/noop.ts';
import { benchKafka, benchPostgres } from './workloads/pg-kafka-sinks.ts';
import { benchProfile } from './workloads/profile.ts';
import { benchScaling } from './workloads/scaling.ts';
import { benchMongo, benchRedis, combineSinkRuns } from './workloads/sinks.ts';
import { benchW1 } from './workloads/w1.ts';

const WORKLOADS = [
  'encoders',
  'w1',
  'w1avro',
  'noop',
  'limits',
  'profile',
  'scaling',
  'sinks',
  'aggregator',
] as const;
type Workload = (typeof WORKLOADS)[number];

function flag(name: string): boolean {
  return process.argv.includes(name);
}
function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = flag('--quick');
const only = new Set((option('--only')?.split(',') as Workload[] | undefined) ?? WORKLOADS);
for (const w of only)
  if (!WORKLOADS.includes(w)) throw new Error(`unknown workload '${w}' (known: ${WORKLOADS.join(', ')})`);

const config = quick
  ? {
      w1Records: 20_000,
      w1AvroRecords: Number(option('--w1avro-records') ?? 20_000),
      repeats: Number(option('--repeats') ?? 1),
      spark: flag('--with-spark'),
      scaling: [10_000, 20_000],
      sinkRecords: 10_000,
      noopRepeats: 2,
      freshSeconds: 10,
      encoderRows: 20_000,
      serviceWaitMs: 20_000,
    }
  : {
      w1Records: 2_000_000,
      w1AvroRecords: Number(option('--w1avro-records') ?? 2_000_000),
      repeats: 3,
      spark: !flag('--without-spark'),
      scaling: [500_000, 1_000_000, 2_000_000, 4_000_000],
      sinkRecords: 1_000_000,
      noopRepeats: 5,
      freshSeconds: 60,
      encoderRows: 1_000_000,
      serviceWaitMs: 180_000,
    };
const freshPerSec = 10_000;

const now = new Date();
const runId = `r${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
const results: BenchResults = {
  runId,
  date: now.toISOString(),
  command: `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  quick,
  config,
  machine: await machineInfo(),
  load: {},
  errors: {},
};

const resultsDir = join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
function save(): void {
  const json = JSON.stringify(results, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  writeFileSync(join(resultsDir, `${runId}${quick ? '-quick' : ''}.json`), json);
  writeFileSync(join(resultsDir, quick ? 'latest-quick.json' : 'latest.json'), json);
}

async function step(name: Workload, fn: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  const t0 = performance.now();
  results.load[name] = load();
  process.stderr.write(`\n[bench] === ${name} (load ${results.load[name]}) ===\n`);
  try {
    await fn();
  } catch (err) {
    results.errors[name] = (err as Error).stack ?? String(err);
    process.stderr.write(`[bench] ${name} FAILED: ${(err as Error).message}\n`);
  }
  process.stderr.write(`[bench] ${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  save();
}

for (const svc of ['kafka', 'hdfs'] as const) {
  if (only.has('encoders') && only.size === 1) break;
  const down = await waitForService(svc, 300_000);
  if (down) throw new Error(down);
}

await step('encoders', async () => {
  results.encoders = await benchEncoders(config.encoderRows);
  if (!results.encoders.consistent)
    throw new Error("the encoders' files do not read back alike (see results)");
});

await step('w1', async () => {
  results.w1 = await benchW1({
    records: config.w1Records,
    repeats: config.repeats,
    spark: config.spark,
    runId,
  });
  if (!results.w1.checksOk)
    throw new Error(`W1 outputs do not check out: ${results.w1.checkNotes.join('; ')}`);
});

await step('w1avro', async () => {
  results.w1avro = await benchW1({
    records: config.w1AvroRecords,
    repeats: config.repeats,
    spark: config.spark,
    runId,
    format: 'avro',
  });
  rmSync(results.w1avro.lastStateDir, { recursive: true, force: true });
  if (!results.w1avro.checksOk)
    throw new Error(`W1-Avro outputs do not check out: ${results.w1avro.checkNotes.join('; ')}`);
});

const w1Topic = `bench-clicks-${config.w1Records}`;

await step('noop', async () => {
  if (!results.w1?.lastStateDir) throw new Error('needs a committed W1 state (run w1 first)');
  results.noop = await benchNoop({
    stateDir: results.w1.lastStateDir,
    // The same output path as the W1 run that committed the state (the job's identity includes it).
    env: {
      KRANGE_CLICKSTREAM_TOPIC: w1Topic,
      KRANGE_CLICKSTREAM_PATH: `webhdfs://${results.w1.lastOutputPath ?? `/bench/${runId}/noop`}`,
    },
    repeats: config.noopRepeats,
  });
  if (results.noop.statuses.some((s) => s !== 'noop'))
    throw new Error(`expected no-op runs, got ${results.noop.statuses.join(',')}`);
});

await step('limits', async () => {
  const kr = results.w1?.runs.filter((r) => r.engine === 'krange') ?? [];
  if (kr.length === 0) throw new Error("needs W1's krange output size (run w1 first)");
  const kafka = await kafkaLimit(w1Topic, config.w1Records, config.repeats);
  const hdfs = await hdfsLimit({
    bytes: Math.round(kr.reduce((s, r) => s + r.outputBytes, 0) / kr.length),
    files: Math.round(kr.reduce((s, r) => s + r.files, 0) / kr.length),
    concurrency: availableParallelism(), // krange's default worker count
    records: config.w1Records,
    repeats: config.repeats,
    runId,
  });
  const cpu = await cpuLimit(quick ? 20_000 : 250_000, config.repeats, availableParallelism());
  const ceiling = Math.min(kafka.recordsPerSec.median, hdfs.recordsPerSec);
  const krangeRate = results.w1?.krange.recordsPerSec;
  const krangeSteady = results.w1
    ? config.w1Records / (results.w1.krange.inProcessMs.median / 1000)
    : undefined;
  results.limits = {
    kafka,
    hdfs,
    ceilingRecordsPerSec: ceiling,
    bound: kafka.recordsPerSec.median <= hdfs.recordsPerSec ? 'kafka' : 'hdfs',
    krangeShare: krangeRate === undefined ? undefined : krangeRate / ceiling,
    krangeShareInProcess: krangeSteady === undefined ? undefined : krangeSteady / ceiling,
    cpu: { ...cpu, krangeShare: krangeRate === undefined ? undefined : krangeRate / cpu.recordsPerSec },
  };
});

await step('profile', async () => {
  results.profile = await benchProfile({ topic: w1Topic, records: config.w1Records, runId });
});

await step('scaling', async () => {
  results.scaling = await benchScaling({ sizes: config.scaling, runId, repeats: config.repeats });
  if (!results.scaling.checksOk) throw new Error('a scaling run did not write the expected rows');
});

await step('sinks', async () => {
  // --sink-records beyond the scaling topic: a demo topic of that size (made once, then reused).
  const wanted = Number(option('--sink-records') ?? config.sinkRecords);
  const info =
    wanted > Math.max(...config.scaling)
      ? await ensureDemoTopic(`bench-clicks-${wanted}`, wanted, 8)
      : await topicInfo(`bench-clicks-${Math.max(...config.scaling)}`);
  if (info === undefined) throw new Error('needs the scaling topic (run scaling first)');
  const n = Math.min(wanted, info.records);
  results.sinks = [];
  const benches = { mongo: benchMongo, redis: benchRedis, postgres: benchPostgres, kafka: benchKafka };
  const chosen = (option('--sinks')?.split(',') ?? Object.keys(benches)) as (keyof typeof benches)[];
  for (const name of chosen) {
    const fn = benches[name];
    if (fn === undefined)
      throw new Error(`unknown sink '${name}' (known: ${Object.keys(benches).join(', ')})`);
    // The transactional sinks run at most 100k records: their ratio to the raw limit is the figure.
    const count = name === 'postgres' || name === 'kafka' ? Math.min(n, 100_000) : n;
    try {
      const runs = [];
      for (let rep = 0; rep < config.repeats; rep++)
        runs.push(await fn(info, count, `${runId}r${rep}`, config.serviceWaitMs));
      results.sinks.push(combineSinkRuns(runs));
    } catch (err) {
      results.sinks.push({
        sink: name,
        records: count,
        skipped: `failed: ${(err as Error).message}`,
      });
    }
    save();
  }
  const bad = results.sinks.filter((s) => s.krange && s.krange.counted !== s.records);
  if (bad.length > 0)
    throw new Error(`sink counts differ: ${bad.map((s) => `${s.sink} ${s.krange?.counted}`).join(', ')}`);
});

await step('aggregator', async () => {
  const runs = [];
  for (let rep = 0; rep < config.repeats; rep++) {
    runs.push(
      await benchAggregator({
        backlogTopic: w1Topic,
        backlogRecords: config.w1Records,
        freshPerSec,
        freshSeconds: config.freshSeconds,
        runId: `${runId}r${rep}`,
        waitMs: config.serviceWaitMs,
      }),
    );
    if (runs.at(-1)?.skipped) break;
  }
  results.aggregator = combineAggregatorRuns(runs);
  const s = results.aggregator.sustained;
  if (s && (s.countedEvents !== config.w1Records || s.countedRecords !== config.w1Records)) {
    throw new Error(
      `aggregator counted ${s.countedEvents} events / ${s.countedRecords} records, expected ${config.w1Records}`,
    );
  }
});

if (results.w1?.lastStateDir) rmSync(results.w1.lastStateDir, { recursive: true, force: true });
await webhdfs()
  .delete(`/bench/${runId}`, { recursive: true })
  .catch(() => false);
results.load['end'] = load();
save();
const md = renderMarkdown(results);
const mdPath =
  quick && !flag('--write-md') ? join(resultsDir, 'BENCHMARKS.quick.md') : join(ROOT, 'BENCHMARKS.md');
writeFileSync(mdPath, md);
process.stderr.write(
  `\n[bench] results: bench/results/${runId}${quick ? '-quick' : ''}.json; report: ${mdPath}\n`,
);
process.stdout.write(`${summaryLines(results).join('\n')}\n`);
const failed = Object.keys(results.errors);
if (failed.length > 0) {
  process.stderr.write(`[bench] failed workloads: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
// kafkajs and pg sockets must not keep the driver alive.
process.exit();
