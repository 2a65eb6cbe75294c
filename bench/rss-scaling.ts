// Peak memory against N (issue 17: "peak RSS <= 1 GiB at 4M records and flat in N"): the demo job
// in declarative form (jobs/clickstream-columns.ts, the columnar path) and with its JS transform
// (jobs/clickstream.ts) over 1M, 2M and 4M demo events (`bench-clicks-<n>`, 8 partitions, so one
// task per partition of n/8 records with the default task size), each run a fresh `krange run`
// process with a fresh state directory and HDFS path. Per run: peak RSS of the process tree (the
// worker threads share the main process's pid, so the tree is the process: the peak of the main
// process alone is reported too, and equals it unless a child process was started), the peak of
// the columnar path's scratch files in /dev/shm (tmpfs pages: memory the machine spends that RSS
// does not show), CPU (user + sys of the tree), wall, and the rows read back by DuckDB (with one
// checksum per N across jobs and variants).
//
// Before/after side by side: name copies of krange (each with bin/, dist/, jobs/, package.json and
// node_modules, e.g. a git worktree with dist/ built) as `name=/path`, with optional extra
// environment per variant (`--env name:KRANGE_X=y`); the variants alternate within each (N, job).
//
//   node --import tsx bench/rss-scaling.ts [--sizes 1000000,2000000,4000000] [--jobs declarative,js]
//     [--repeats 1] [before=/tmp/krange-before after=/work/krange] [--env after:KRANGE_X=y]
// Results: bench/results/rss-scaling-<run>.json and a Markdown report on stdout.

import { type Dirent, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { option, variantArgs, variantEnv } from './lib/args.ts';
import { freshStateDir, ROOT } from './lib/engines.ts';
import { checkHdfsParquet, type ParquetCheck } from './lib/parquet-check.ts';
import { assertOk, type RunResult, startMeasured } from './lib/proc-tree.ts';
import { webhdfs } from './lib/services.ts';
import { MiB, type Summary, summarize } from './lib/stats.ts';
import { ensureDemoTopic } from './lib/topics.ts';

const JOBS = { declarative: 'jobs/clickstream-columns.ts', js: 'jobs/clickstream.ts' } as const;
type Job = keyof typeof JOBS;

const sizes = (option('--sizes') ?? '1000000,2000000,4000000').split(',').map(Number);
const jobs = (option('--jobs') ?? 'declarative,js').split(',') as Job[];
for (const j of jobs)
  if (!(j in JOBS)) throw new Error(`unknown job '${j}' (${Object.keys(JOBS).join(', ')})`);
const repeats = Number(option('--repeats') ?? 1);
const named = variantArgs();
const variants = named.length > 0 ? named : [{ name: 'current', dir: ROOT }];
const extraEnv = variantEnv();

const runId = `r${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = load();
process.stderr.write(
  `[bench] rss scaling ${runId}: sizes ${sizes.join(', ')}, jobs ${jobs.join(', ')}, variants ${variants.map((v) => v.name).join(', ')}, load ${loadAtStart}\n`,
);
for (const n of sizes) await ensureDemoTopic(`bench-clicks-${n}`, n, 8);

/** Bytes the files under `path` hold in memory (tmpfs: allocated blocks). */
function allocated(path: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(path, e.name);
    try {
      if (e.isDirectory()) total += allocated(p);
      else total += statSync(p).blocks * 512;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

/** The columnar scratch of process `pid` in /dev/shm (columnar-task.ts names it by pid). */
function shmScratch(pid: number): number {
  let total = 0;
  try {
    for (const name of readdirSync('/dev/shm'))
      if (name.startsWith(`krange-columnar-${pid}-`)) total += allocated(join('/dev/shm', name));
  } catch {
    return 0;
  }
  return total;
}

interface Run {
  variant: string;
  job: Job;
  records: number;
  repeat: number;
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  peakMainRssBytes: number;
  peakShmBytes: number;
  /** Peak of RSS + /dev/shm scratch sampled together. */
  peakRssPlusShmBytes: number;
  outcomeRecords: number | undefined;
  check: ParquetCheck;
}

const hdfs = webhdfs();
const base = `/bench/${runId}/rss-scaling`;

async function once(
  variant: { name: string; dir: string },
  job: Job,
  n: number,
  repeat: number,
): Promise<Run> {
  const path = `${base}/${variant.name}-${job}-${n}-${repeat}`;
  const stateDir = freshStateDir();
  let run: RunResult;
  let peakShm = 0;
  let peakBoth = 0;
  try {
    const m = startMeasured(
      process.execPath,
      [join(variant.dir, 'bin/krange.mjs'), 'run', join(variant.dir, JOBS[job]), '--json'],
      {
        cwd: variant.dir,
        env: {
          ...process.env,
          KRANGE_STATE_DIR: stateDir,
          KRANGE_LOG_FORMAT: 'json',
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
          KRANGE_CLICKSTREAM_TOPIC: `bench-clicks-${n}`,
          KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}`,
          ...extraEnv.get(variant.name),
        },
        timeoutMs: 15 * 60_000,
      },
    );
    const timer = setInterval(() => {
      const pid = m.child.pid;
      if (pid === undefined) return;
      const shm = shmScratch(pid);
      peakShm = Math.max(peakShm, shm);
      let rss = 0;
      try {
        rss = Number(readStatm(pid)) * 4096;
      } catch {}
      peakBoth = Math.max(peakBoth, rss + shm);
    }, 100);
    try {
      run = assertOk(await m.done, `krange run ${JOBS[job]} (${variant.name}, ${n})`);
    } finally {
      clearInterval(timer);
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const outcome = last.startsWith('{') ? (JSON.parse(last) as { records?: number }) : undefined;
  const check = await checkHdfsParquet(path);
  await hdfs.delete(path, { recursive: true });
  const r: Run = {
    variant: variant.name,
    job,
    records: n,
    repeat,
    wallMs: run.wallMs,
    cpuMs: run.cpuMs,
    peakRssBytes: run.peakRssBytes,
    peakMainRssBytes: run.peakMainRssBytes,
    peakShmBytes: peakShm,
    peakRssPlusShmBytes: Math.max(peakBoth, run.peakRssBytes),
    outcomeRecords: outcome?.records,
    check,
  };
  process.stderr.write(
    `[bench] ${variant.name} ${job} ${n} #${repeat}: peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB (+shm ${(peakShm / MiB).toFixed(0)}), wall ${(r.wallMs / 1000).toFixed(1)} s, cpu ${(r.cpuMs / 1000).toFixed(1)} s, ${check.rows} rows (load ${load()})\n`,
  );
  return r;
}

function readStatm(pid: number): string {
  // Field 2 of /proc/<pid>/statm: resident pages.
  return readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1] ?? '0';
}

const runs: Run[] = [];
try {
  for (let rep = 1; rep <= repeats; rep++)
    for (const n of sizes)
      for (const job of jobs) {
        // Alternate the variants' order each (N, job), so none always runs first.
        const order =
          (sizes.indexOf(n) + jobs.indexOf(job) + rep) % 2 === 0 ? variants : [...variants].reverse();
        for (const v of order) runs.push(await once(v, job, n, rep));
      }
} finally {
  await hdfs.delete(base, { recursive: true }).catch(() => false);
}

const notes: string[] = [];
for (const n of sizes) {
  const of = runs.filter((r) => r.records === n);
  const checksum = of[0]?.check.checksum;
  for (const r of of) {
    if (r.check.rows !== n) notes.push(`${r.variant} ${r.job} ${n} #${r.repeat}: ${r.check.rows} rows`);
    if (r.check.checksum !== checksum)
      notes.push(`${r.variant} ${r.job} ${n} #${r.repeat}: checksum ${r.check.checksum} != ${checksum}`);
  }
}

const results = {
  runId,
  date: new Date().toISOString(),
  sizes,
  jobs,
  variants,
  env: Object.fromEntries(extraEnv),
  repeats,
  load: { start: loadAtStart, end: load() },
  runs,
  checksOk: notes.length === 0,
  notes,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const resultsPath = join(ROOT, 'bench/results', `rss-scaling-${runId}.json`);
writeFileSync(resultsPath, JSON.stringify(results, null, 2));

const mib = (x: Summary): string =>
  x.n > 1
    ? `${(x.median / MiB).toFixed(0)} (${(x.min / MiB).toFixed(0)} - ${(x.max / MiB).toFixed(0)})`
    : (x.median / MiB).toFixed(0);
const sec = (x: Summary): string =>
  x.n > 1
    ? `${(x.median / 1000).toFixed(1)} (${(x.min / 1000).toFixed(1)} - ${(x.max / 1000).toFixed(1)})`
    : (x.median / 1000).toFixed(1);
const out = [
  `RSS against N, ${runId}: ${repeats} repeat(s), variants alternating; load ${loadAtStart} at the start, ${results.load.end} at the end.`,
  ...(extraEnv.size > 0 ? [`Extra environment: ${JSON.stringify(results.env)}`] : []),
  '',
  '| variant | job | records | peak RSS MiB, tree | peak /dev/shm scratch MiB | peak RSS + scratch MiB | wall s | CPU s | rows read back |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const v of variants)
  for (const job of jobs)
    for (const n of sizes) {
      const of = runs.filter((r) => r.variant === v.name && r.job === job && r.records === n);
      if (of.length === 0) continue;
      out.push(
        `| ${v.name} | ${job} | ${n.toLocaleString('en')} | ${mib(summarize(of.map((r) => r.peakRssBytes)))} | ${mib(summarize(of.map((r) => r.peakShmBytes)))} | ${mib(summarize(of.map((r) => r.peakRssPlusShmBytes)))} | ${sec(summarize(of.map((r) => r.wallMs)))} | ${sec(summarize(of.map((r) => r.cpuMs)))} | ${of.map((r) => r.check.rows.toLocaleString('en')).join(' / ')} |`,
      );
    }
out.push(
  '',
  notes.length === 0
    ? `Checks (DuckDB over every output): ${runs.length} runs, each with N rows, one checksum per N.`
    : `CHECKS FAILED: ${notes.join('; ')}`,
  '',
  `Raw results: ${resultsPath.slice(ROOT.length + 1)}`,
);
process.stdout.write(`${out.join('\n')}\n`);
if (notes.length > 0) process.exitCode = 1;
