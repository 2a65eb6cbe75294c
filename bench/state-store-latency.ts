// The state work of one iteration on each state store (issue 13): take the lease, create the plan
// exclusively, record the attempt, create the commit exclusively, record the outcome, release the
// lease: what a driver adds per iteration besides its tasks. The three backends (a local
// directory, HDFS through WebHDFS, PostgreSQL) alternate round by round, their order rotated, so
// they share the machine's load; medians with min-max per backend, and each against the directory.
//   node --import tsx bench/state-store-latency.ts [--rounds 30] [--partitions 8]

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { WebHdfsClient } from '../src/fs/webhdfs-client.ts';
import { serviceEndpoints } from '../src/job/endpoints.ts';
import { JobLock } from '../src/state/job-lock.ts';
import { STATE_TABLE } from '../src/state/postgres-state-backend.ts';
import { closeStateBackends, openStateBackend } from '../src/state/state-location.ts';
import { StateStore } from '../src/state/state-store.ts';
import { option } from './lib/args.ts';

const rounds = Number(option('--rounds') ?? 30);
const partitions = Number(option('--partitions') ?? 8);
const tag = `bench-${Date.now()}`;
const stores: [string, string][] = [
  ['directory', mkdtempSync(join(tmpdir(), 'krange-state-bench-'))],
  ['webhdfs', `webhdfs:///krange-bench/${tag}`],
  ['postgres', 'postgres:'],
];

async function iteration(location: string, job: string, n: number): Promise<number> {
  const store = new StateStore(job, openStateBackend(location));
  const started = performance.now();
  const lock = new JobLock(job, { backend: store.backend, dir: store.key() });
  await lock.acquire('bench');
  const ranges = Array.from({ length: partitions }, (_, p) => ({
    topic: 't',
    partition: p,
    begin: String(n * 1000),
    end: String(n * 1000 + 1000),
  }));
  const tasks = ranges.map((r) => ({ ...r, id: `t-${r.partition}-${r.begin}-${r.end}` }));
  await store.writeOffsets({
    job,
    iteration: n,
    kind: 'run',
    plannedAt: new Date().toISOString(),
    schemaHash: 'h',
    ranges,
    tasks,
    skipped: [],
  });
  const log = store.attemptLog();
  const { attempt } = await log.start(n, 'bench', lock.generation);
  await lock.assertHeld('commit');
  await store.writeCommit({
    job,
    iteration: n,
    committedAt: new Date().toISOString(),
    durationMs: 1,
    ranges,
    records: 1000 * partitions,
    rows: 1000 * partitions,
    bytes: 0,
    badRecords: 0,
    tasks: tasks.map((t) => ({
      ...t,
      records: 1000,
      rows: 1000,
      bytes: 0,
      badRecords: 0,
      files: [`/out/part-${t.id}.parquet`],
      durationMs: 1,
      attempts: 1,
      sinks: {},
    })),
    skipped: [],
  });
  await log.finish(n, attempt, 'committed', null);
  await lock.release();
  return performance.now() - started;
}

const times = new Map<string, number[]>(stores.map(([name]) => [name, []]));
for (const [, location] of stores) await iteration(location, `${tag}-warm`, 0); // connections, table
for (let r = 1; r <= rounds; r++) {
  const order = stores.map((_, i) => stores[(i + r) % stores.length] as [string, string]);
  for (const [name, location] of order) times.get(name)?.push(await iteration(location, tag, r));
}
await closeStateBackends();
// Leave nothing behind: the HDFS folder and the PostgreSQL rows of this run.
const endpoints = serviceEndpoints();
await new WebHdfsClient({ url: endpoints.webhdfsUrl, user: endpoints.hdfsUser }).delete(
  `/krange-bench/${tag}`,
  {
    recursive: true,
  },
);
const pgClient = new pg.Client({ connectionString: endpoints.pgUrl });
await pgClient.connect();
await pgClient.query(`DELETE FROM ${STATE_TABLE} WHERE path LIKE $1`, [`${tag}%`]);
await pgClient.end();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const base = median(times.get('directory') ?? []);
const rows = [...times].map(([name, xs]) => ({
  store: name,
  medianMs: Number(median(xs).toFixed(1)),
  minMs: Number(Math.min(...xs).toFixed(1)),
  maxMs: Number(Math.max(...xs).toFixed(1)),
  vsDirectory: Number((median(xs) / base).toFixed(2)),
}));
console.log(
  JSON.stringify({ rounds, partitions, loadavg: (await import('node:os')).loadavg(), rows }, null, 2),
);
