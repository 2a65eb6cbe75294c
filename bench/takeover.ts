// Takeover time (issue 13): two `krange schedule` processes for the same job (the demo clickstream
// job ticking every second, its state in a directory both share or on HDFS), each as a host of its own (`unshare
// --uts` with its own hostname, so the lease tells them apart by heartbeat, not by pid; needs root).
// Once one of them has planned an iteration, it is SIGKILLed; the other takes the lease when it
// lapses and resumes the plan. Measured from the kill: until the follower holds the lease (its
// lock.stale line), and until it committed the resumed iteration; and, from the dead leader's last
// heartbeat, when the lease was taken (never below the TTL). Repeated per TTL and store, alternating.
// Usage: node --import tsx bench/takeover.ts [--ttl 3000,10000] [--stores dir,webhdfs] [--repeats 5] [--records 20000]

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { option } from './lib/args.ts';
import { ROOT } from './lib/engines.ts';
import { load } from './lib/machine.ts';
import { summarize } from './lib/stats.ts';
import { ensureDemoTopic } from './lib/topics.ts';

const ttls = (option('--ttl') ?? '3000,10000').split(',').map(Number);
const stores = (option('--stores') ?? 'dir,webhdfs').split(',') as ('dir' | 'webhdfs')[];
for (const s of stores)
  if (s !== 'dir' && s !== 'webhdfs') throw new Error(`--stores: dir or webhdfs, not ${s}`);
const repeats = Number(option('--repeats') ?? 5);
const records = Number(option('--records') ?? 20_000);
const JOB = join(ROOT, 'bench/jobs/takeover-clicks.ts');
const webhdfs = process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';

try {
  execFileSync('unshare', ['--uts', 'true'], { stdio: 'pipe' });
} catch {
  process.stderr.write(
    'bench/takeover.ts needs root: each scheduler runs under `unshare --uts` as a host of its own\n',
  );
  process.exit(2);
}

interface Line {
  time: number;
  event?: string;
  iteration?: number;
  status?: string;
  generation?: number;
}

interface Scheduler {
  child: ChildProcess;
  lines: Line[];
  exited: Promise<void>;
}

function startScheduler(host: string, env: Record<string, string>): Scheduler {
  const child = spawn(
    'unshare',
    [
      '--uts',
      'sh',
      '-c',
      `hostname ${host} && exec "$0" "$@"`,
      process.execPath,
      join(ROOT, 'bin/krange.mjs'),
      'schedule',
      JOB,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, KRANGE_LOG_FORMAT: 'json', KRANGE_HOST_ID: host, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const lines: Line[] = [];
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Line);
  });
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  return { child, lines, exited };
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Sample {
  ttlMs: number;
  store: 'dir' | 'webhdfs';
  /** Kill -> the follower holds the lease. */
  leaseMs: number;
  /** Kill -> the follower committed the resumed iteration. */
  commitMs: number;
  /** The dead leader's last heartbeat -> the follower holds the lease. */
  sinceHeartbeatMs: number;
}

async function once(ttlMs: number, store: 'dir' | 'webhdfs'): Promise<Sample> {
  const id = randomUUID().slice(0, 8);
  const topic = `bench-takeover-${id}`;
  await ensureDemoTopic(topic, records, 4);
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-bench-takeover-'));
  const env = {
    KRANGE_CLICKSTREAM_TOPIC: topic,
    KRANGE_CLICKSTREAM_PATH: `webhdfs:///bench/takeover/${id}`,
    KRANGE_STATE_DIR: stateDir,
    KRANGE_LEASE_TTL_MS: String(ttlMs),
    ...(store === 'webhdfs' ? { KRANGE_STATE_URL: `webhdfs:///bench/takeover/state-${id}` } : {}),
  };
  const claimOf = async (g: number): Promise<{ heartbeatAt: string }> => {
    const rel = `bench-takeover/lock-generations/${g}.json`;
    if (store === 'dir') return JSON.parse(readFileSync(join(stateDir, rel), 'utf8'));
    const res = await fetch(
      `${webhdfs}/webhdfs/v1/bench/takeover/state-${id}/${rel}?op=OPEN&user.name=krange`,
    );
    return (await res.json()) as { heartbeatAt: string };
  };
  const a = startScheduler(`takeover-a-${id}`, env);
  const b = startScheduler(`takeover-b-${id}`, env);
  try {
    const planned = (s: Scheduler) =>
      s.lines.some((l) => l.event === 'iteration.planned' && l.iteration === 0);
    const leader = await until('a leader plans iteration 0', () =>
      planned(a) ? a : planned(b) ? b : undefined,
    );
    const follower = leader === a ? b : a;
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.exited;
    const stale = await until('the follower takes the lease', () =>
      follower.lines.find((l) => l.event === 'lock.stale'),
    );
    const committed = await until('the follower commits iteration 0', () =>
      follower.lines.find(
        (l) => l.event === 'schedule.tick' && l.iteration === 0 && l.status === 'committed',
      ),
    );
    if (!follower.lines.some((l) => l.event === 'iteration.resumed' && l.iteration === 0))
      throw new Error('the follower did not resume the plan: the leader had committed it before the kill');
    const dead = await claimOf(stale.generation ?? 0);
    return {
      ttlMs,
      store,
      leaseMs: stale.time - killedAt,
      commitMs: committed.time - killedAt,
      sinceHeartbeatMs: stale.time - Date.parse(dead.heartbeatAt),
    };
  } finally {
    for (const s of [a, b])
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const samples: Sample[] = [];
const loadBefore = load();
for (let r = 0; r < repeats; r++) {
  for (const ttl of ttls) {
    for (const store of stores) {
      const s = await once(ttl, store);
      samples.push(s);
      process.stderr.write(
        `[takeover] ${store}, ttl ${ttl} ms: lease after ${s.leaseMs} ms, committed after ${s.commitMs} ms (lease taken ${s.sinceHeartbeatMs} ms after the last heartbeat)\n`,
      );
    }
  }
}
const fmt = (v: { median: number; min: number; max: number }) =>
  `${(v.median / 1000).toFixed(2)} s (${(v.min / 1000).toFixed(2)}-${(v.max / 1000).toFixed(2)})`;
const rows = ttls
  .flatMap((ttl) => stores.map((store) => ({ ttl, store })))
  .map(({ ttl, store }) => {
    const mine = samples.filter((s) => s.ttlMs === ttl && s.store === store);
    return {
      ttlMs: ttl,
      store,
      lease: summarize(mine.map((s) => s.leaseMs)),
      commit: summarize(mine.map((s) => s.commitMs)),
      sinceHeartbeat: summarize(mine.map((s) => s.sinceHeartbeatMs)),
    };
  });
const out = join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'takeover.json'),
  JSON.stringify({ records, repeats, load: { before: loadBefore, after: load() }, rows, samples }, null, 2),
);
console.log(
  `load before ${loadBefore}, after ${load()}; ${records} records on 4 partitions; ${repeats} kills per TTL and store`,
);
console.log(
  '| state | lease TTL | kill -> lease taken | kill -> resumed iteration committed | last heartbeat -> lease taken |',
);
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.store} | ${r.ttlMs / 1000} s | ${fmt(r.lease)} | ${fmt(r.commit)} | ${fmt(r.sinceHeartbeat)} |`,
  );
