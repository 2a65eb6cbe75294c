// The aggregator's sustained rate (bench/workloads/aggregator.ts, `benchSustained`: records/s from
// the first committed flush until every offset of the backlog is stored in PostgreSQL) of several
// krange checkouts, alternated in one run: A B B A A B ... Each checkout is a directory with bin/
// and a built dist/ (copy one with `cp -r bin dist package.json jobs <dir>` and link node_modules).
// Reports each variant's median with min-max, the CPU the aggregator process used (from /proc) and
// its peak RSS, and the counts read back from PostgreSQL (they must equal the backlog).
//
//   node --import tsx bench/experiments/aggregator-ab.ts --topic bench-clicks-2000000 --records 2000000 \
//     --repeats 3 base=/tmp/agg/base new=$PWD [--env new:KRANGE_X=1] [--profile /tmp/prof]

import pg from 'pg';
import { option, variantArgs, variantEnv } from '../lib/args.ts';
import { endpoints } from '../lib/services.ts';
import { summarize } from '../lib/stats.ts';
import { benchSustained, type SustainedResult } from '../workloads/aggregator.ts';

const topic = option('--topic') ?? 'bench-clicks-2000000';
const records = Number(option('--records') ?? 2_000_000);
const repeats = Number(option('--repeats') ?? 3);
/** --profile <dir>: each aggregator runs under `node --cpu-prof` into <dir>/<variant>. */
const profileDir = option('--profile');
const variants = variantArgs();
const extraEnv = variantEnv();
if (variants.length === 0) throw new Error('name=/absolute/checkout/dir expected');

const db = new pg.Client({ connectionString: endpoints.pgUrl });
await db.connect();
const samples = new Map<string, SustainedResult[]>(variants.map((v) => [v.name, []]));
const stamp = Date.now().toString(36);
for (let r = 0; r < repeats; r++) {
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const res = await benchSustained(db, topic, records, `ab${stamp}_${v.name}_${r}`, {
      root: v.dir,
      env: extraEnv.get(v.name) ?? {},
      ...(profileDir === undefined
        ? {}
        : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${v.name}`] }),
    });
    samples.get(v.name)!.push(res);
    process.stderr.write(
      `${v.name.padEnd(10)} #${r}: ${res.recordsPerSec.toFixed(0)} rec/s, drain ${(res.drainMs / 1000).toFixed(2)} s, start-up ${(res.startupMs / 1000).toFixed(2)} s, cpu ${(res.cpuMs / 1000).toFixed(2)} s, rss ${(res.peakRssBytes / 2 ** 20).toFixed(0)} MiB, counted ${res.countedEvents}/${res.countedRecords}\n`,
    );
    if (res.countedEvents !== records || res.countedRecords !== records)
      throw new Error(`${v.name}: counted ${res.countedEvents}/${res.countedRecords}, expected ${records}`);
  }
}
await db.end();
const base = variants[0]!.name;
const rate = (name: string) => summarize(samples.get(name)!.map((s) => s.recordsPerSec));
for (const v of variants) {
  const s = rate(v.name);
  const rss = summarize(samples.get(v.name)!.map((x) => x.peakRssBytes / 2 ** 20));
  const cpu = summarize(samples.get(v.name)!.map((x) => x.cpuMs / 1000));
  process.stdout.write(
    `${v.name.padEnd(10)} sustained ${s.median.toFixed(0)} rec/s (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}, n ${s.n}), ` +
      `CPU ${cpu.median.toFixed(2)} s (${cpu.min.toFixed(2)}-${cpu.max.toFixed(2)}; ${(records / cpu.median / 1000).toFixed(0)}k rec/CPU-s), ` +
      `peak RSS ${rss.median.toFixed(0)} MiB, ${(s.median / rate(base).median).toFixed(2)}x ${base}\n`,
  );
}
process.exit(0);
