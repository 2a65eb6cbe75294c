// W1 on BullMQ executors (issue 13): the demo job over N events on 8 partitions, cold, with its tasks
// on the driver's own worker threads (2) against `krange executor` processes taking them from the
// BullMQ queue in Redis: 1 executor with 2 threads, 2 with 1 thread each, 3 with 1 thread each.
// Configurations alternate within each repeat; executors are started (and warm) before the timed
// `krange run` and stopped after it. On 2 cores no speed-up is expected: the figure of interest is
// the queue's overhead against the thread pool, per task and per record.
// Usage: node --import tsx bench/executors.ts [--records 1000000] [--repeats 3]

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { option } from './lib/args.ts';
import { freshStateDir, ROOT, runKrange } from './lib/engines.ts';
import { summarize } from './lib/stats.ts';
import { benchTopic, ensureDemoTopic } from './lib/topics.ts';

const records = Number(option('--records') ?? 1_000_000);
const repeats = Number(option('--repeats') ?? 3);
const topic = benchTopic(records);
await ensureDemoTopic(topic, records);

interface Config {
  name: string;
  executors: number;
  threads: number;
}
const configs: Config[] = [
  { name: 'thread pool (2 workers)', executors: 0, threads: 2 },
  { name: '1 executor x 2 threads', executors: 1, threads: 2 },
  { name: '2 executors x 1 thread', executors: 2, threads: 1 },
  { name: '3 executors x 1 thread', executors: 3, threads: 1 },
];

// Several executors on one host must not all bind /metrics' default port.
const help = spawnSync(process.execPath, [join(ROOT, 'bin/krange.mjs'), 'executor', '--help'], {
  encoding: 'utf8',
});
const metricsFlags = help.stdout.includes('--no-metrics') ? ['--no-metrics'] : [];

function startExecutor(env: NodeJS.ProcessEnv, threads: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/krange.mjs'), 'executor', 'clickstream', '--threads', String(threads), ...metricsFlags],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('executor ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`executor exited ${code}: ${err.slice(-500)}`)));
  });
}

const wall = new Map<string, number[]>(configs.map((c) => [c.name, []]));
let tasks = 0;
for (let r = 0; r < repeats; r++) {
  for (const c of configs) {
    const path = `/bench/executors/${Date.now()}-${r}-${c.executors}`;
    const env = {
      ...process.env,
      KRANGE_LOG_FORMAT: 'json',
      KRANGE_CLICKSTREAM_TOPIC: topic,
      KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}`,
    };
    const started = await Promise.all(
      Array.from({ length: c.executors }, () => startExecutor(env, c.threads)),
    );
    try {
      const args = ['run', 'clickstream', '--json', '--workers', String(c.threads)];
      if (c.executors > 0) args.push('--executors', 'bullmq');
      const { run, outcome } = await runKrange({
        job: 'clickstream',
        stateDir: freshStateDir(),
        env: { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` },
        args,
      });
      if (outcome?.records !== records)
        throw new Error(`${c.name}: ${outcome?.records} records, expected ${records}`);
      tasks = outcome.tasks;
      wall.get(c.name)?.push(run.wallMs / 1000);
      console.error(`repeat ${r} ${c.name}: ${(run.wallMs / 1000).toFixed(2)} s`);
    } finally {
      for (const e of started) e.kill('SIGTERM');
    }
  }
}

const base = summarize(wall.get(configs[0]?.name ?? '') ?? []).median;
console.log(
  `W1 at ${records.toLocaleString('en')} records, ${tasks} tasks, median of ${repeats} (min-max):\n`,
);
console.log('| Tasks run by | Wall | vs thread pool | Overhead per task | per record |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const c of configs) {
  const s = summarize(wall.get(c.name) ?? []);
  const extra = s.median - base;
  console.log(
    `| ${c.name} | ${s.median.toFixed(2)} s (${s.min.toFixed(2)}-${s.max.toFixed(2)}) | ${(s.median / base).toFixed(2)} | ${c.executors === 0 ? '-' : `${((extra * 1000) / tasks).toFixed(0)} ms`} | ${c.executors === 0 ? '-' : `${((extra * 1e6) / records).toFixed(2)} us`} |`,
  );
}
