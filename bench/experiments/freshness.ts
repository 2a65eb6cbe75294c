// Aggregator freshness at a fixed rate (bench/workloads/aggregator.ts) for copies of krange made by
// snapshot.sh, with optional environment per variant (KRANGE_BENCH_AGG_FLUSH_MS=500 sets the
// demo aggregate's flushInterval). Variants run one after another, alternating over repeats.
//
//   node --import tsx bench/experiments/freshness.ts --seconds 30 --repeats 2 \
//     base=/tmp/krange-exp/base sched=/tmp/krange-exp/aggregator-flush-schedule [--env base:KRANGE_BENCH_AGG_FLUSH_MS=500]

import pg from 'pg';
import { option, variantArgs, variantEnv } from '../lib/args.ts';
import { endpoints } from '../lib/services.ts';
import { benchFreshness } from '../workloads/aggregator.ts';

const seconds = Number(option('--seconds') ?? 30);
const repeats = Number(option('--repeats') ?? 2);
const perSec = Number(option('--rate') ?? 10_000);
const variants = variantArgs();
const env = variantEnv();

const db = new pg.Client({ connectionString: endpoints.pgUrl });
await db.connect();
const out: string[] = [];
for (let r = 0; r < repeats; r++) {
  for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
    const runId = `x${Date.now().toString(36)}`;
    const f = await benchFreshness(db, { perSec, seconds, runId, root: v.dir, env: env.get(v.name) ?? {} });
    out.push(
      `${v.name.padEnd(12)} #${r}: ${f.achievedPerSec.toFixed(0)} rec/s, p50 ${f.p50Ms.toFixed(0)} ms, p99 ${f.p99Ms.toFixed(0)} ms, max ${f.maxMs.toFixed(0)} ms, unresolved ${f.unresolved}`,
    );
  }
}
await db.end();
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
