// A/B runs of `krange run clickstream` between copies of krange made by snapshot.sh (a baseline and
// variants with a proposed src/ change), alternating, each a cold process with a fresh state
// directory and HDFS path. Reports the median wall time and CPU time (user + sys, from
// /usr/bin/time): on a shared 2-core machine CPU time is the steadier of the two.
//
//   node --import tsx bench/experiments/ab.ts --topic bench-clicks-1000000 --repeats 3 \
//     base=/tmp/krange-exp/base prefetch=/tmp/krange-exp/prefetch [--env base:NODE_OPTIONS=...]

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { option } from '../lib/args.ts';
import { freshStateDir } from '../lib/engines.ts';
import { checkHdfsParquet } from '../lib/parquet-check.ts';
import { runMeasured } from '../lib/proc-tree.ts';
import { webhdfs } from '../lib/services.ts';
import { summarize } from '../lib/stats.ts';

const topic = option('--topic') ?? 'bench-clicks-1000000';
const repeats = Number(option('--repeats') ?? 3);
const check = process.argv.includes('--check');
const variants = process.argv
  .slice(2)
  .filter((a) => /^[\w.-]+=/.test(a) && !a.startsWith('--'))
  .map((a) => {
    const [name, dir] = a.split('=') as [string, string];
    return { name, dir };
  });
/** --env name:VAR=value (repeatable): extra environment for one variant. */
const extraEnv = new Map<string, Record<string, string>>();
/** --args name:'--workers 3' : extra CLI arguments for one variant. */
const extraArgs = new Map<string, string[]>();
process.argv.forEach((a, i) => {
  const v = process.argv[i + 1];
  if (v === undefined) return;
  const [name, rest] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
  if (a === '--env') {
    const [k, ...val] = rest.split('=');
    extraEnv.set(name, { ...extraEnv.get(name), [k!]: val.join('=') });
  }
  if (a === '--args') extraArgs.set(name, rest.split(' ').filter(Boolean));
});

interface Sample {
  wall: number;
  cpu: number;
  rssMiB: number;
  durationMs: number;
}
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
const hdfs = webhdfs();
for (let r = 0; r < repeats; r++) {
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const path = `/bench/ab/${v.name}-${r}`;
    const stateDir = freshStateDir();
    const res = await runMeasured(
      '/usr/bin/time',
      [
        '-f',
        'TIME %e %U %S %M',
        process.execPath,
        join(v.dir, 'bin/krange.mjs'),
        'run',
        'clickstream',
        '--json',
        ...(extraArgs.get(v.name) ?? []),
      ],
      {
        cwd: v.dir,
        env: {
          ...process.env,
          KRANGE_STATE_DIR: stateDir,
          KRANGE_LOG_LEVEL: 'warn',
          KRANGE_CLICKSTREAM_TOPIC: topic,
          KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}`,
          ...extraEnv.get(v.name),
        },
      },
    );
    const t = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(res.stderr);
    const outcome = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as {
      durationMs?: number;
      records?: number;
    };
    if (res.code !== 0 || !t) throw new Error(`${v.name} failed: ${res.stderr.slice(-2000)}`);
    let rows = '';
    if (check) rows = ` rows ${(await checkHdfsParquet(path)).rows}`;
    await hdfs.delete(path, { recursive: true });
    rmSync(stateDir, { recursive: true, force: true });
    const s = {
      wall: Number(t[1]),
      cpu: Number(t[2]) + Number(t[3]),
      rssMiB: Number(t[4]) / 1024,
      durationMs: outcome.durationMs ?? Number.NaN,
    };
    samples.get(v.name)!.push(s);
    process.stderr.write(
      `${v.name.padEnd(12)} #${r}: wall ${s.wall.toFixed(2)} s, cpu ${s.cpu.toFixed(2)} s, rss ${s.rssMiB.toFixed(0)} MiB, in-process ${(s.durationMs / 1000).toFixed(2)} s${rows}\n`,
    );
  }
}
const base = variants[0]!.name;
const med = (name: string, k: keyof Sample) => summarize(samples.get(name)!.map((s) => s[k])).median;
process.stdout.write(
  'variant       wall(med)  cpu(med)  rss(med)  in-process(med)  wall vs base  cpu vs base\n',
);
for (const v of variants) {
  process.stdout.write(
    `${v.name.padEnd(12)} ${med(v.name, 'wall').toFixed(2).padStart(9)} ${med(v.name, 'cpu').toFixed(2).padStart(9)} ${med(v.name, 'rssMiB').toFixed(0).padStart(9)} ${(med(v.name, 'durationMs') / 1000).toFixed(2).padStart(16)} ` +
      `${((100 * (med(v.name, 'wall') - med(base, 'wall'))) / med(base, 'wall')).toFixed(1).padStart(12)}% ${((100 * (med(v.name, 'cpu') - med(base, 'cpu'))) / med(base, 'cpu')).toFixed(1).padStart(11)}%\n`,
  );
}
process.exit(0);
