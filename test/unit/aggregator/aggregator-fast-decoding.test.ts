import { describe, expect, it } from 'vitest';
import { applyBatch, type BatchLike } from '../../../src/aggregator/apply-batch.ts';
import { FastDecode } from '../../../src/aggregator/fast-decode.ts';
import { PartitionState } from '../../../src/aggregator/partition-state.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import type { RawRecord } from '../../../src/records/record.ts';
import { type Processed, RecordProcessor } from '../../../src/records/record-processor.ts';
import { makeAggJob } from '../../fixtures/jobs/agg-events.ts';

const T0 = Date.UTC(2026, 0, 1, 12);
const spec = validateJob(
  makeAggJob({
    KRANGE_AGG_JOB: 'j',
    KRANGE_AGG_TOPIC: 't',
    KRANGE_AGG_FORM: 'columns',
    KRANGE_AGG_BAD: 'skip',
  }),
  'agg-events',
);
const plan = planAggregate(spec);

/** Counts the records that reach the JSON.parse path. */
class CountingProcessor extends RecordProcessor {
  calls = 0;
  override process(r: RawRecord): Processed {
    this.calls++;
    return super.process(r);
  }
}

const ev = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ user: 'u1', page: '/a', country: 'FR', ts: T0, amount: 5, ...o });

/** Values the byte scanner must read exactly as JSON.parse, or hand over: good and bad alike. */
const CORPUS: (string | Buffer | null)[] = [
  ev(),
  ev({ note: 'plain', tags: ['a', 'b'] }),
  ev({ note: null, tags: null }),
  ev({ note: 'é ü 日本 🎉', tags: ['ünï', '日本'] }),
  ev({ user: 'ü\u00e9🎉', page: '/日本', country: 'ÉS' }),
  ev({ note: 'tab\\t "quoted" \\u0041 \\\\', tags: ['\\n', '\\u00e9'] }),
  '{"user":"u\\u0031","page":"/\\"q\\"","country":"F\\u0052","ts":1767268800000,"amount":1}',
  '{"user":"u1","page":"/a","country":"FR","ts":"2026-01-01T12:00:01Z","amount":"42"}',
  ev({ ts: '2026-01-01T12:00:02.5+01:00' }),
  '{"user":"u2","page":"/a","country":"FR","ts":1767268800000,"amount":9007199254740993}',
  '{"user":"u2","page":"/a","country":"FR","ts":1767268800000,"amount":9223372036854775807}',
  '{"user":"u2","page":"/a","country":"FR","ts":1767268800000,"amount":-9223372036854775808}',
  '{"user":"u2","page":"/a","country":"FR","ts":1767268800000,"amount":9223372036854775808}',
  ev({ amount: -0 }),
  '{"user":"u3","page":"/a","country":"FR","ts":1.7672688e12,"amount":1e3}',
  '{"user":"u3","page":"/a","country":"FR","ts":1767268800000,"amount":2.5}',
  '{"user":"u3","page":"/a","country":"FR","ts":1767268800000,"amount":1E2}',
  ev({ extra: { deep: [1, { x: [null, true, false, 'y'] }] }, more: [[[]]], n: -1.5e-7 }),
  ev({ user: 42 }),
  ev({ note: 7 }),
  ev({ note: ['x'] }),
  ev({ tags: 'x' }),
  ev({ tags: [1] }),
  ev({ tags: [null] }),
  ev({ tags: [['a']] }),
  ev({ page: null }),
  JSON.stringify({ user: 'u1', country: 'FR', ts: T0, amount: 5 }),
  ev({ ts: 'soon' }),
  ev({ ts: null }),
  ev({ amount: 'lots' }),
  ev({ amount: 1.5 }),
  ev({ country: { nested: true } }),
  '{"user":"u1","page":"/a","page":"/b","country":"FR","ts":1767268800000,"amount":5}',
  '{"user":"u1","page":"/a","country":"FR","ts":1767268800000,"amount":5,"x":1,"x":2}',
  // A 16-digit run sends the text to lossless-json (exact-json.ts), which refuses repeated keys.
  '{"user":"u1","page":"/a","page":"/b","country":"FR","ts":1767268800000,"amount":5,"note":"1234567890123456"}',
  '{"user":"u1","page":"/a","country":"FR","ts":1767268800000,"amount":5,"x":1,"x":2,"n":"u1234567890123456"}',
  '{"us\\u0065r":"u1","page":"/a","country":"FR","ts":1767268800000,"amount":5}',
  `  \n\t${ev()}\r\n `,
  `\ufeff${ev()}`,
  `${ev()} trailing`,
  `${ev().slice(0, -1)},}`,
  'not json at all',
  '[1,2,3]',
  '"a string"',
  '42',
  'null',
  '{}',
  '',
  null,
  Buffer.concat([
    Buffer.from('{"user":"u\xff'.slice(0, 10), 'latin1'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('","page":"/a","country":"FR","ts":1767268800000,"amount":5}'),
  ]),
  Buffer.concat([
    Buffer.from(ev().slice(0, -1)),
    Buffer.from(',"note":"'),
    Buffer.from([0xc3]),
    Buffer.from('"}'),
  ]),
  ev({ note: 'ctl\u0001char' }),
  ev({ ts: T0 - 10 * 3_600_000 }),
  ev({ ts: T0 + 60_000, user: 'u9' }),
  ev({ ts: 8.64e15 + 1 }),
];

function batch(values: (string | Buffer | null)[], first = 0): BatchLike {
  const messages = values.map((v, i) => ({
    offset: String(first + i),
    timestamp: String(T0 + i),
    key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
    value: v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v),
    headers: {},
  }));
  return {
    topic: 't',
    partition: 0,
    highWatermark: String(first + values.length),
    messages,
    lastOffset: () => String(first + values.length - 1),
  };
}

/** What a partition holds after a batch, in a form toEqual compares. */
function contents(st: PartitionState) {
  const deltas = [...st.deltas.entries()]
    .map(([k, d]) => ({
      k,
      start: d.start,
      groups: d.groups,
      accs: d.accs.map((a) => (a instanceof Set ? [...a].sort() : a)),
    }))
    .sort((a, b) => (a.k < b.k ? -1 : 1));
  return {
    position: st.position,
    maxEventTime: st.maxEventTime,
    counts: { ...st.counts },
    deltas,
    bad: st.bad.map((b) => ({ ...b, key: b.key?.toString('hex'), value: b.value?.toString('hex') })),
    late: st.late.map((l) => ({ ...l, key: l.key?.toString('hex'), value: l.value?.toString('hex') })),
  };
}

function run(
  fast: boolean,
  values: (string | Buffer | null)[],
  policy: 'skip' | 'fail' = 'skip',
  job = spec,
) {
  const plan = planAggregate(job);
  const processor = new CountingProcessor(job);
  const st = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, true);
  const r = applyBatch(st, batch(values), {
    plan,
    processor,
    policy,
    keepBad: true,
    ...(fast ? { fast: new FastDecode(job, plan) } : {}),
  });
  return { r, st: contents(st), parsed: processor.calls };
}

describe('the aggregator reading fields straight from the bytes', () => {
  it('gives the same window deltas, counters, bad records (stage, field, message) and late rows as JSON.parse', () => {
    const fast = run(true, CORPUS);
    const slow = run(false, CORPUS);
    expect(fast.r).toEqual(slow.r);
    expect(fast.st).toEqual(slow.st);
    // The corpus holds good and bad records of every kind, and the late ones.
    expect(slow.st.counts.bad).toBeGreaterThan(20);
    expect(slow.st.counts.rows).toBeGreaterThan(10);
    expect(slow.st.counts.late).toBe(1);
    expect(new Set(slow.st.bad.map((b) => b.stage))).toEqual(new Set(['decode', 'schema', 'transform']));
    // Only what the scanner could not vouch for went through JSON.parse.
    expect(slow.parsed).toBe(CORPUS.length);
    expect(fast.parsed).toBeLessThan(slow.parsed);
    expect(fast.parsed).toBeGreaterThanOrEqual(slow.st.counts.bad);
  });

  it("applies the job's `where` before the schema check, as the JSON.parse path does", () => {
    const base = makeAggJob({
      KRANGE_AGG_JOB: 'w',
      KRANGE_AGG_TOPIC: 't',
      KRANGE_AGG_FORM: 'columns',
      KRANGE_AGG_BAD: 'skip',
    });
    const filtered = validateJob(
      { ...base, where: { country: { in: ['FR', 'ÉS'] }, note: { not: 'skip me' } } },
      'agg-events',
    );
    const values = [
      ...CORPUS,
      ev({ country: 'DE' }),
      ev({ note: 'skip me' }),
      ev({ country: 'DE', amount: 'lots' }),
    ];
    const fast = run(true, values, 'skip', filtered);
    const slow = run(false, values, 'skip', filtered);
    expect(fast.r).toEqual(slow.r);
    expect(fast.st).toEqual(slow.st);
    expect(slow.st.counts.records).toBeGreaterThan(slow.st.counts.rows + slow.st.counts.bad);
    expect(fast.parsed).toBeLessThan(slow.parsed);
  });

  it('takes ordinary records without JSON.parse, with unread text fields checked but not built', () => {
    const values = Array.from({ length: 50 }, (_, i) =>
      ev({ user: `u${i % 7}`, ts: T0 + i * 1000, amount: i, note: i % 2 ? null : `n${i}`, tags: ['a'] }),
    );
    const fast = run(true, values);
    expect(fast.parsed).toBe(0);
    expect(fast.st).toEqual(run(false, values).st);
  });

  it("stops on the same record with the same reason under 'fail'", () => {
    for (let i = 0; i < CORPUS.length; i++) {
      const values = [ev(), CORPUS[i]!, ev({ amount: 7 })];
      const fast = run(true, values, 'fail');
      const slow = run(false, values, 'fail');
      expect(fast.r, `corpus[${i}]`).toEqual(slow.r);
      expect(fast.st, `corpus[${i}]`).toEqual(slow.st);
    }
  });

  it('skips records below the position and jumps past trailing control records as before', () => {
    const values = CORPUS.slice(0, 6);
    for (const fast of [true, false]) {
      const st = new PartitionState('t', 0, { nextOffset: 3n, maxEventTime: null }, false);
      const b = batch(values);
      b.lastOffset = () => '9';
      const r = applyBatch(st, b, {
        plan,
        processor: new RecordProcessor(spec),
        policy: 'skip',
        keepBad: false,
        ...(fast ? { fast: new FastDecode(spec, plan) } : {}),
      });
      expect(r).toEqual({ records: 3, resolve: '5' });
      expect(st.position).toBe(10n);
    }
  });
});
