// W1 side by side (issue 17): the same 2M demo events through four engines, alternating, each a
// fresh process timed from spawn to exit:
//   krange declarative   jobs/clickstream-columns.ts (columns, no JavaScript per record)
//   krange JS transform  jobs/clickstream.ts
//   Spark 4.2 local[2]   bench/spark (from_json), the same topic and HDFS
//   DuckDB, 2 threads    the same records from a local NDJSON file (bench/lib/ndjson-topic.ts, read
//                        with kcat) to snappy Parquet partitioned by date (bench/lib/duckdb-ndjson.mjs)
// The three Kafka engines write snappy Parquet partitioned by dt to a fresh HDFS path with a fresh
// state directory, DuckDB to a fresh local directory; every output is read back by DuckDB and must
// hold N rows with one checksum (bench/lib/parquet-check.ts). Per engine: wall, CPU seconds of the
// process tree, peak RSS of the tree, records/s, and records and MB (of JSON values) per CPU-second;
// krange/Spark ratios. Then one krange worker profile of the declarative job (`node --cpu-prof`),
// summarised by stage and top self-time functions (bench/lib/cpuprofile.ts). The order of the
// engines rotates each repeat, so none always runs first. The environment reaches krange as it is
// (e.g. KRANGE_FAST_PATH=1); the results record the KRANGE_* variables that were set. The V8 profile
// sees JavaScript threads only: native threads (DuckDB's own, on the columnar path) are not in it, so
// `--perf` adds one more declarative run under `perf record` (Linux perf, all threads), reported as
// shares of the process's samples by shared object (V8's JIT code, node, DuckDB, libc, the kernel).
//   node --import tsx bench/w1-side-by-side.ts [--records 2000000] [--repeats 3] [--only a,b] [--no-profile] [--perf]
// Results: bench/results/w1-side-by-side-<run>.json, and a Markdown report on stdout.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { option } from './lib/args.ts';
import { STAGE_LABEL, STAGES, summarizeProfiles } from './lib/cpuprofile.ts';
import { buildSpark, freshStateDir, hdfsUri, ROOT, runKrange, runSpark } from './lib/engines.ts';
import { ensureNdjson } from './lib/ndjson-topic.ts';
import { checkHdfsParquet, checkLocalParquet, type ParquetCheck } from './lib/parquet-check.ts';
import { assertOk, type RunResult, runMeasured } from './lib/proc-tree.ts';
import { webhdfs } from './lib/services.ts';
import { MiB, type Summary, summarize } from './lib/stats.ts';
import { ensureDemoTopic, payloadBytes } from './lib/topics.ts';

const ENGINES = ['krange-declarative', 'krange-js', 'spark', 'duckdb'] as const;
type Engine = (typeof ENGINES)[number];
const LABEL: Record<Engine, string> = {
  'krange-declarative': 'krange, declarative (`jobs/clickstream-columns.ts`)',
  'krange-js': 'krange, JS transform (`jobs/clickstream.ts`)',
  spark: 'Spark 4.2 `local[2]`',
  duckdb: 'DuckDB, 2 threads, local NDJSON file',
};

const records = Number(option('--records') ?? 2_000_000);
const repeats = Number(option('--repeats') ?? 3);
const engines = (option('--only')?.split(',') ?? [...ENGINES]) as Engine[];
for (const e of engines)
  if (!ENGINES.includes(e)) throw new Error(`unknown engine '${e}' (${ENGINES.join(', ')})`);
const profile = !process.argv.includes('--no-profile');
const perf = process.argv.includes('--perf');

const runId = `r${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
const topic = `bench-clicks-${records}`;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = load();
process.stderr.write(`[bench] w1 side by side ${runId}: ${records} records, load ${loadAtStart}\n`);
await ensureDemoTopic(topic, records, 8);
const bytes = payloadBytes(records);
const ndjson = engines.includes('duckdb') ? await ensureNdjson(topic, records) : undefined;
if (engines.includes('spark')) await buildSpark();

interface Run {
  engine: Engine;
  repeat: number;
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  check: ParquetCheck;
}

const hdfs = webhdfs();
const base = `/bench/${runId}/w1-side-by-side`;

async function once(engine: Engine, repeat: number): Promise<Run> {
  const path = `${base}/${engine}-${repeat}`;
  let run: RunResult;
  let check: ParquetCheck;
  if (engine === 'duckdb') {
    const out = mkdtempSync(join(tmpdir(), 'krange-bench-duckdb-'));
    try {
      run = assertOk(
        await runMeasured(
          process.execPath,
          [join(ROOT, 'bench/lib/duckdb-ndjson.mjs'), ndjson!.path, out, '2'],
          {
            cwd: ROOT,
          },
        ),
        'duckdb',
      );
      check = await checkLocalParquet(out, true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } else {
    if (engine === 'spark') run = (await runSpark(topic, hdfsUri(path))).run;
    else {
      const stateDir = freshStateDir();
      try {
        run = (
          await runKrange({
            job: engine === 'krange-js' ? 'clickstream' : join(ROOT, 'jobs/clickstream-columns.ts'),
            stateDir,
            env: { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` },
          })
        ).run;
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
    check = await checkHdfsParquet(path);
    await hdfs.delete(path, { recursive: true });
  }
  process.stderr.write(
    `[bench] ${engine} #${repeat}: wall ${(run.wallMs / 1000).toFixed(2)} s, cpu ${(run.cpuMs / 1000).toFixed(2)} s, ${check.rows} rows (load ${load()})\n`,
  );
  return { engine, repeat, wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssBytes: run.peakRssBytes, check };
}

const runs: Run[] = [];
try {
  for (let r = 1; r <= repeats; r++) {
    const shift = (r - 1) % engines.length;
    for (const e of [...engines.slice(shift), ...engines.slice(0, shift)]) runs.push(await once(e, r));
  }
} finally {
  await hdfs.delete(base, { recursive: true }).catch(() => false);
}

const notes: string[] = [];
const checksum = runs[0]?.check.checksum;
for (const r of runs) {
  if (r.check.rows !== records)
    notes.push(`${r.engine} #${r.repeat}: ${r.check.rows} rows, expected ${records}`);
  if (r.check.checksum !== checksum)
    notes.push(`${r.engine} #${r.repeat}: checksum ${r.check.checksum} != ${checksum}`);
}

interface EngineFigures {
  wallMs: Summary;
  cpuMs: Summary;
  peakRssBytes: Summary;
  recordsPerSec: number;
  recordsPerCpuSec: number;
  mbPerCpuSec: number;
}
const figures = Object.fromEntries(
  engines.map((e) => {
    const of = runs.filter((r) => r.engine === e);
    const wallMs = summarize(of.map((r) => r.wallMs));
    const cpuMs = summarize(of.map((r) => r.cpuMs));
    const f: EngineFigures = {
      wallMs,
      cpuMs,
      peakRssBytes: summarize(of.map((r) => r.peakRssBytes)),
      recordsPerSec: records / (wallMs.median / 1000),
      recordsPerCpuSec: records / (cpuMs.median / 1000),
      mbPerCpuSec: bytes / 1e6 / (cpuMs.median / 1000),
    };
    return [e, f];
  }),
) as Partial<Record<Engine, EngineFigures>>;

let profileSummary: ReturnType<typeof summarizeProfiles> | undefined;
let profileDir: string | undefined;
if (profile && engines.includes('krange-declarative')) {
  profileDir = join(ROOT, 'bench/results', `profile-side-by-side-${runId}`);
  mkdirSync(profileDir, { recursive: true });
  const stateDir = freshStateDir();
  const path = `${base}/profile`;
  try {
    await runKrange({
      job: join(ROOT, 'jobs/clickstream-columns.ts'),
      stateDir,
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      env: { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` },
    });
    profileSummary = summarizeProfiles(profileDir, 15);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await hdfs.delete(base, { recursive: true }).catch(() => false);
  }
}

/** One declarative run under `perf record`: the share of samples per shared object (top 8). */
async function perfByObject(): Promise<{ object: string; pct: number }[]> {
  const data = join(tmpdir(), `krange-bench-perf-${runId}.data`);
  const stateDir = freshStateDir();
  try {
    await runKrange({
      job: join(ROOT, 'jobs/clickstream-columns.ts'),
      stateDir,
      wrapper: ['perf', 'record', '-F', '199', '-q', '-o', data, '--'],
      env: { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${base}/perf` },
    });
    const report = assertOk(
      await runMeasured('perf', ['report', '-i', data, '--sort', 'dso', '--stdio', '-q']),
      'perf report',
    );
    // V8's generated code is one object per thread ("[JIT] tid N"): summed as one.
    const shares = new Map<string, number>();
    for (const line of report.stdout.split('\n')) {
      const m = /^\s*([\d.]+)%\s+(.+?)\s*$/.exec(line);
      if (m === null) continue;
      const object = m[2]!.replace(/^\[JIT\] tid \d+$/, '[JIT] (V8 code)');
      shares.set(object, (shares.get(object) ?? 0) + Number(m[1]));
    }
    return [...shares]
      .map(([object, pct]) => ({ object, pct }))
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 8);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(data, { force: true });
    await hdfs.delete(base, { recursive: true }).catch(() => false);
  }
}
const perfObjects = perf ? await perfByObject() : undefined;

const krangeEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k.startsWith('KRANGE_') && !/_URL$|_BROKERS$/.test(k)),
);
const results = {
  runId,
  date: new Date().toISOString(),
  records,
  payloadBytes: bytes,
  ndjsonBytes: ndjson?.bytes,
  repeats,
  load: { start: loadAtStart, end: load() },
  krangeEnv,
  runs,
  figures,
  checksOk: notes.length === 0,
  notes,
  profileDir,
  profile: profileSummary,
  perfObjects,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const resultsPath = join(ROOT, 'bench/results', `w1-side-by-side-${runId}.json`);
writeFileSync(resultsPath, JSON.stringify(results, null, 2));

// The report.
const s = (ms: number): string => (ms / 1000).toFixed(2);
const range = (x: Summary, f: (v: number) => string): string => `${f(x.median)} (${f(x.min)} - ${f(x.max)})`;
const int = (n: number): string => Math.round(n).toLocaleString('en');
const out: string[] = [
  `W1 side by side, ${runId}: ${int(records)} demo events (${(bytes / 1e6).toFixed(0)} MB of JSON values), ${repeats} repeat(s) alternating; load ${loadAtStart} at the start, ${results.load.end} at the end.`,
  ...(Object.keys(krangeEnv).length > 0 ? [`krange environment: ${JSON.stringify(krangeEnv)}`] : []),
  '',
  '| engine | wall s | CPU s (process tree) | peak RSS MiB (tree) | records/s | records per CPU-s | MB per CPU-s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const e of engines) {
  const f = figures[e]!;
  out.push(
    `| ${LABEL[e]} | ${range(f.wallMs, s)} | ${range(f.cpuMs, s)} | ${range(f.peakRssBytes, (b) => (b / MiB).toFixed(0))} | ${int(f.recordsPerSec)} | ${int(f.recordsPerCpuSec)} | ${f.mbPerCpuSec.toFixed(1)} |`,
  );
}
const spark = figures.spark;
if (spark !== undefined) {
  out.push('', '| krange / Spark | records/s (wall) | records per CPU-s |', '| --- | ---: | ---: |');
  for (const e of ['krange-declarative', 'krange-js'] as const) {
    const f = figures[e];
    if (f === undefined) continue;
    out.push(
      `| ${LABEL[e]} | ${(f.recordsPerSec / spark.recordsPerSec).toFixed(2)}x | ${(f.recordsPerCpuSec / spark.recordsPerCpuSec).toFixed(2)}x |`,
    );
  }
}
out.push(
  '',
  notes.length === 0
    ? `Checks (DuckDB over every output): ${runs.length} runs, each ${int(records)} rows, one checksum (${checksum}).`
    : `CHECKS FAILED: ${notes.join('; ')}`,
);
if (profileSummary !== undefined) {
  const p = profileSummary;
  out.push(
    '',
    `Profile of one declarative run (\`node --cpu-prof\`, ${profileDir?.slice(ROOT.length + 1)}), worker threads busy ${int(p.workerBusyMs)} ms. By stage:`,
    '',
    '| stage | ms | share of busy |',
    '| --- | ---: | ---: |',
    ...STAGES.filter((st) => st !== 'idle' && p.workerStages[st] > 0).map(
      (st) =>
        `| ${STAGE_LABEL[st]} | ${int(p.workerStages[st])} | ${((100 * p.workerStages[st]) / p.workerBusyMs).toFixed(0)}% |`,
    ),
    '',
    'Top self time:',
    '',
    '| function | stage | ms | share of busy |',
    '| --- | --- | ---: | ---: |',
    ...p.topFunctions.map((f) => `| \`${f.name}\` | ${f.stage} | ${int(f.ms)} | ${f.pct.toFixed(0)}% |`),
  );
}
if (perfObjects !== undefined) {
  out.push(
    '',
    'One declarative run under `perf record` (every thread, native ones included), samples by shared object:',
    '',
    '| shared object | share |',
    '| --- | ---: |',
    ...perfObjects.map((o) => `| ${o.object} | ${o.pct.toFixed(1)}% |`),
  );
}
out.push('', `Raw results: ${resultsPath.slice(ROOT.length + 1)}`);
process.stdout.write(`${out.join('\n')}\n`);
if (notes.length > 0) process.exitCode = 1;
