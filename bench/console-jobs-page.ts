// The console's jobs page with 50 jobs of 1,000 iterations each: generates the state files
// (plans and commits like real ones, 8 partitions per job), starts `krange serve` in-process on a
// free port and times GET /api/jobs (everything the jobs page shows) and GET / sequentially.
// Usage: node --import tsx bench/console-jobs-page.ts [--jobs 50] [--iterations 1000] [--requests 30]

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startConsole } from '../src/console/console-server.ts';
import { StateStore } from '../src/state/state-store.ts';
import { option } from './lib/args.ts';

const jobs = Number(option('--jobs') ?? 50);
const iterations = Number(option('--iterations') ?? 1000);
const requests = Number(option('--requests') ?? 30);
const root = mkdtempSync(join(tmpdir(), 'krange-console-bench-'));

const genStart = performance.now();
for (let j = 0; j < jobs; j++) {
  const name = `bench-job-${j}`;
  const store = new StateStore(name, root);
  const { jobId } = await store.ensureMetadata('h');
  mkdirSync(store.path('offsets'), { recursive: true });
  mkdirSync(store.path('commits'), { recursive: true });
  // Plain writes: the files are what StateStore writes, without an fsync per file (100,000 of them).
  const put = (kind: string, n: number, v: object) =>
    writeFileSync(store.path(kind, `${n}.json`), JSON.stringify({ version: 1, ...v }, null, 2));
  const pos = Array.from({ length: 8 }, () => 0);
  for (let n = 0; n < iterations; n++) {
    const at = new Date(Date.UTC(2026, 0, 1) + n * 300_000).toISOString();
    const ranges = pos.map((p, partition) => {
      const end = p + 1000 + ((n * 7 + partition) % 500);
      pos[partition] = end;
      return { topic: `bench-topic-${j}`, partition, begin: String(p), end: String(end) };
    });
    const tasks = ranges.map((r) => ({ ...r, id: `${n}-${r.partition}` }));
    put('offsets', n, {
      job: name,
      iteration: n,
      kind: 'run',
      plannedAt: at,
      schemaHash: 'h',
      ranges,
      tasks,
      skipped: [],
    });
    const records = ranges.reduce((s, r) => s + Number(r.end) - Number(r.begin), 0);
    put('commits', n, {
      job: name,
      jobId,
      iteration: n,
      committedAt: at,
      ranges,
      durationMs: 1500,
      records,
      rows: records,
      bytes: records * 24,
      badRecords: 0,
      tasks: tasks.map((t) => ({
        ...t,
        records: Number(t.end) - Number(t.begin),
        rows: Number(t.end) - Number(t.begin),
        bytes: 24 * (Number(t.end) - Number(t.begin)),
        badRecords: 0,
        files: [`/data/${name}/dt=2026-01-01/part-${t.id}.parquet`],
        durationMs: 1200,
        attempts: 1,
        sinks: { [`parquet:webhdfs:///data/${name}`]: { rows: 1, bytes: 1, durationMs: 1 } },
      })),
      skipped: [],
    });
  }
}
const genSeconds = (performance.now() - genStart) / 1000;

const c = await startConsole({
  host: '127.0.0.1',
  port: 0,
  logger: pino({ level: 'error' }),
  stateRoot: root,
});
async function time(path: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    const res = await fetch(`${c.url}${path}`);
    const body = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
await time('/api/jobs'); // warm-up: job modules, first Kafka round trip
const api = await time('/api/jobs');
const page = await time('/');
const size = (await (await fetch(`${c.url}/api/jobs`)).text()).length;
await c.close();
process.stdout.write(
  `${JSON.stringify({ jobs, iterations, stateFiles: jobs * iterations * 2, generateSeconds: Number(genSeconds.toFixed(1)), requests, apiJobsMs: { p50: Number(pct(api, 50).toFixed(1)), p95: Number(pct(api, 95).toFixed(1)), max: Number(api.at(-1)!.toFixed(1)) }, apiJobsBytes: size, pageMs: { p50: Number(pct(page, 50).toFixed(2)) } })}\n`,
);
process.exit(0);
