// The Redis sink's value encoding (src/sinks/redis-encoding.ts toJson: JSON.stringify with a
// replacer, for bigints) against plain JSON.stringify with the replacer only as a fallback when
// the row holds a bigint. The replacer is called for every key and value and keeps V8 off its
// fast path; the Redis sink spends about 11% of worker time there (profile of clicks-redis).
//
//   node --import tsx bench/experiments/redis-tojson.ts [--rows 200000] [--repeats 5]

import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { toJson } from '../../src/sinks/redis-encoding.ts';
import { summarize } from '../lib/stats.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const bigintReplacer = (_k: string, x: unknown): unknown => (typeof x === 'bigint' ? x.toString() : x);

/** The proposal: the fast path unless the value holds a bigint (JSON.stringify throws a TypeError). */
function toJsonFast(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(v, bigintReplacer) ?? 'null';
  }
}

const n = Number(option('--rows') ?? 200_000);
const repeats = Number(option('--repeats') ?? 5);
const rows = Array.from({ length: n }, (_, i) => ({
  ...clickEvent(i),
  kafka_partition: i % 8,
  kafka_offset: String(i),
}));
const withBigint = { ...rows[0], big: 12345678901234567890n };
if (toJsonFast(withBigint) !== toJson(withBigint)) throw new Error('outputs differ for a bigint row');
for (const r of rows.slice(0, 1000)) if (toJsonFast(r) !== toJson(r)) throw new Error('outputs differ');

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
  a.push(time(toJson));
  b.push(time(toJsonFast));
}
const ma = summarize(a).median;
const mb = summarize(b).median;
process.stdout.write(
  `${n} demo rows, median of ${repeats}: toJson (replacer) ${ma.toFixed(0)} ms = ${((1000 * ma) / n).toFixed(2)} µs/row; ` +
    `plain first ${mb.toFixed(0)} ms = ${((1000 * mb) / n).toFixed(2)} µs/row (${((100 * (mb - ma)) / ma).toFixed(0)}%)\n`,
);
