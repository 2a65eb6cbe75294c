// The aggregator's own CPU per record, without Kafka or PostgreSQL: N demo events (as JSON bytes,
// in kafkajs-shaped messages of 8 partitions) folded by applyBatch into window deltas, once with the
// byte scanner (fast-decode.ts) and once through RecordProcessor (JSON.parse), alternated; CPU time
// of this thread (process.cpuUsage) per record, median with min-max. The job is bench/jobs/clicks-agg.ts
// (the demo aggregate over the declarative demo job, or KRANGE_BENCH_AGG_FORM=js).
//
//   node --import tsx bench/experiments/aggregator-fold.ts [--records 400000] [--repeats 5]

import { applyBatch, type BatchLike } from '../../src/aggregator/apply-batch.ts';
import { FastDecode } from '../../src/aggregator/fast-decode.ts';
import { PartitionState } from '../../src/aggregator/partition-state.ts';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { planAggregate } from '../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../src/job/job-loader.ts';
import { RecordProcessor } from '../../src/records/record-processor.ts';
import job from '../jobs/clicks-agg.ts';
import { option } from '../lib/args.ts';
import { summarize } from '../lib/stats.ts';

const records = Number(option('--records') ?? 400_000);
const repeats = Number(option('--repeats') ?? 5);
const PARTITIONS = 8;
const BATCH = 2000;

const spec = validateJob(job, 'clicks-agg');
const plan = planAggregate(spec);

const batches: BatchLike[] = [];
for (let p = 0; p < PARTITIONS; p++) {
  const n = Math.ceil(records / PARTITIONS);
  for (let b = 0; b < n; b += BATCH) {
    const messages = [];
    for (let i = b; i < Math.min(b + BATCH, n); i++) {
      const e = clickEvent(i * PARTITIONS + p);
      messages.push({
        offset: String(i),
        timestamp: String(Date.parse(e.ts)),
        key: Buffer.from(String(e.user_id)),
        value: Buffer.from(JSON.stringify(e)),
        headers: {},
      });
    }
    const last = messages[messages.length - 1]!.offset;
    batches.push({
      topic: 'bench',
      partition: p,
      highWatermark: String(n),
      messages,
      lastOffset: () => last,
    });
  }
}

function fold(fast: boolean): number {
  const states = Array.from(
    { length: PARTITIONS },
    (_, p) => new PartitionState('bench', p, { nextOffset: 0n, maxEventTime: null }, false),
  );
  const ctx = {
    plan,
    processor: new RecordProcessor(spec),
    policy: spec.onBadRecord,
    keepBad: false,
    ...(fast ? { fast: new FastDecode(spec, plan) } : {}),
  };
  const before = process.cpuUsage();
  let n = 0;
  for (const b of batches) n += applyBatch(states[b.partition]!, b, ctx).records;
  const used = process.cpuUsage(before);
  if (n !== batches.reduce((s, b) => s + b.messages.length, 0)) throw new Error('records lost');
  return (used.user + used.system) / n;
}

const us = { fast: [] as number[], parse: [] as number[] };
fold(true);
fold(false); // warm-up of both
for (let r = 0; r < repeats; r++) {
  for (const fast of r % 2 === 0 ? [true, false] : [false, true])
    us[fast ? 'fast' : 'parse'].push(fold(fast));
}
const f = summarize(us.fast);
const p = summarize(us.parse);
process.stdout.write(
  `${records} demo events, ${repeats} runs each, CPU us/record (median, min-max):\n` +
    `  byte scanner: ${f.median.toFixed(2)} (${f.min.toFixed(2)}-${f.max.toFixed(2)})\n` +
    `  JSON.parse:   ${p.median.toFixed(2)} (${p.min.toFixed(2)}-${p.max.toFixed(2)})\n` +
    `  ratio ${(f.median / p.median).toFixed(2)}\n`,
);
