// The Redis sink's value encoding: src/sinks/redis/redis-encoding.ts toJson (applied: plain
// JSON.stringify, the bigint replacer only as a fallback when the row holds a bigint) against what
// it replaced, JSON.stringify with the replacer on every row. The replacer is called for every key and value and keeps V8 off its
// fast path; the Redis sink spends about 11% of worker time there (profile of clicks-redis).
//
//   node --import tsx bench/experiments/redis-tojson.ts [--rows 200000] [--repeats 5]

import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { toJson } from '../../src/sinks/redis/redis-encoding.ts';
import { option } from '../lib/args.ts';
import { summarize } from '../lib/stats.ts';

const bigintReplacer = (_k: string, x: unknown): unknown => (typeof x === 'bigint' ? x.toString() : x);

/** What toJson did before: the replacer on every row. */
function toJsonReplacer(v: unknown): string {
  return JSON.stringify(v, bigintReplacer) ?? 'null';
}

const n = Number(option('--rows') ?? 200_000);
const repeats = Number(option('--repeats') ?? 5);
const rows = Array.from({ length: n }, (_, i) => ({
  ...clickEvent(i),
  kafka_partition: i % 8,
  kafka_offset: String(i),
}));
const withBigint = { ...rows[0], big: 12345678901234567890n };
if (toJsonReplacer(withBigint) !== toJson(withBigint)) throw new Error('outputs differ for a bigint row');
for (const r of rows.slice(0, 1000)) if (toJsonReplacer(r) !== toJson(r)) throw new Error('outputs differ');

const time = (fn: (v: unknown) => string): number => {
  const t0 = performance.now();
  let len = 0;
  for (const r of rows) len += fn(r).length;
  if (len === 0) throw new Error('nothing encoded');
  return performance.now() - t0;
};
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < repeats; i++) {
  a.push(time(toJsonReplacer));
  b.push(time(toJson));
}
const ma = summarize(a).median;
const mb = summarize(b).median;
process.stdout.write(
  `${n} demo rows, median of ${repeats}: replacer on every row ${ma.toFixed(0)} ms = ${((1000 * ma) / n).toFixed(2)} µs/row; ` +
    `toJson (plain first) ${mb.toFixed(0)} ms = ${((1000 * mb) / n).toFixed(2)} µs/row (${((100 * (mb - ma)) / ma).toFixed(0)}%)\n`,
);
