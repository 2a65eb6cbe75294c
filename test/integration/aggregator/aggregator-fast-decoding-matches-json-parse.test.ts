// A declarative aggregate job is read by the aggregator's byte scanner (src/aggregator/fast-decode.ts);
// KRANGE_AGG_FAST_DECODE=0 reads the same records with JSON.parse. Two jobs over one topic of good
// events and awkward or bad records (unicode, escapes, nulls, exponents, int64 edges, nested
// values, missing fields, bytes that are not UTF-8) must store the same window rows and counters
// (read back with psql) and send the same dead letters (read back with kcat).

import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  dropFixture,
  genEvents,
  produceAgg,
  readTable,
  rng,
  runAggregatorHere,
  sql,
  T0,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';
import { brokers, createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const fixtures: AggFixture[] = [];
let extra: string[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await dropFixture(f, extra);
  extra = [];
});

const ev = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ user: 'u1', page: '/a', country: 'FR', ts: T0 + 5000, amount: 5, ...o });

const AWKWARD: (string | Buffer)[] = [
  ev({ note: 'é ü 日本 🎉', tags: ['ünï', '日本'] }),
  ev({ user: 'ü\u00e9🎉', page: '/日本', country: 'ÉS' }),
  ev({ note: 'tab\\t "q" \\u0041', tags: ['\\n'] }),
  '{"user":"u\\u0031","page":"/\\"q\\"","country":"F\\u0052","ts":1767268805000,"amount":1}',
  `{"user":"u2","page":"/a","country":"FR","ts":"2026-01-01T12:00:01Z","amount":"42"}`,
  '{"user":"u2","page":"/a","country":"FR","ts":1767268805000,"amount":9223372036854775807}',
  '{"user":"u2","page":"/b","country":"FR","ts":1767268805000,"amount":-9223372036854775808}',
  '{"user":"u3","page":"/a","country":"FR","ts":1.7672688e12,"amount":1e3}',
  ev({ note: null, tags: null, extra: { deep: [1, { x: [null, true] }] } }),
  JSON.stringify({ user: 'u4', page: '/a', country: 'DE', ts: T0 + 6000, amount: 3 }),
  `  ${ev({ user: 'u5' })}\n`,
  // bad
  ev({ note: 7 }),
  ev({ tags: [1] }),
  ev({ page: null }),
  JSON.stringify({ user: 'u1', country: 'FR', ts: T0, amount: 5 }),
  ev({ ts: 'soon' }),
  ev({ amount: 1.5 }),
  '{"user":"u2","page":"/a","country":"FR","ts":1767268805000,"amount":9223372036854775808}',
  'not json at all',
  '[1,2]',
  Buffer.concat([
    Buffer.from(ev().slice(0, -1)),
    Buffer.from(',"note":"'),
    Buffer.from([0xc3]),
    Buffer.from('"}'),
  ]),
];

/** The dead letters of a topic as kcat reads them: the record's coordinates, stage, field, message and bytes. */
function deadLetters(topic: string, count: number): string[] {
  const out = execFileSync(
    'kcat',
    ['-C', '-b', brokers().join(','), '-t', topic, '-e', '-q', '-c', String(count), '-J'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const m = JSON.parse(line) as { headers?: string[]; payload: string | null };
      const h = m.headers ?? [];
      const kept: string[] = [];
      for (let i = 0; i + 1 < h.length; i += 2)
        if (/^krange\.(partition|stage|field|error)$/.test(h[i]!)) kept.push(`${h[i]}=${h[i + 1]}`);
      return `${kept.sort().join(' | ')} | ${m.payload}`;
    })
    .sort();
}

async function runUntilCaughtUp(f: AggFixture, env: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const ac = new AbortController();
  // The aggregator reads the environment when it is built, at once.
  const running = runAggregatorHere(f, 'fast-decoding', { signal: ac.signal, logger });
  process.env = saved;
  try {
    await waitCaughtUp(f);
  } finally {
    ac.abort();
    await running;
  }
  return lines;
}

describe('aggregator decoding', () => {
  it('stores the same window rows, counters and dead letters with the byte scanner as with JSON.parse', async () => {
    const dlFast = uniqueName('dl-fast');
    const dlSlow = uniqueName('dl-slow');
    extra = [dlFast, dlSlow];
    await createTopic(dlFast, 1);
    await createTopic(dlSlow, 1);
    const fast = await aggFixture(2, { KRANGE_AGG_FORM: 'columns', KRANGE_AGG_BAD: `dl-topic:${dlFast}` });
    const job = uniqueName('agg').replace('-', '_');
    const slow: AggFixture = {
      ...fast,
      job,
      table: `${job}_agg`,
      events: [],
      env: { ...fast.env, KRANGE_AGG_JOB: job, KRANGE_AGG_BAD: `dl-topic:${dlSlow}` },
    };
    fixtures.push(fast, slow);
    await produceAgg(fast, genEvents(rng(17), 800, T0));
    await produce(
      fast.topic,
      AWKWARD.map((value, i) => ({ value, partition: i % 2 })),
    );
    await produceAgg(fast, genEvents(rng(18), 200, T0 + 800 * 37));

    const fastLog = await runUntilCaughtUp(fast, {});
    const slowLog = await runUntilCaughtUp(slow, { KRANGE_AGG_FAST_DECODE: '0' });
    expect(fastLog.join('')).toContain('"decoding":"byte scanner');
    expect(slowLog.join('')).toContain('"decoding":"JSON.parse (KRANGE_AGG_FAST_DECODE=0)"');

    const fastRows = await readTable(fast);
    expect(fastRows.length).toBeGreaterThan(10);
    expect(fastRows).toEqual(await readTable(slow));
    const stats = (j: string) =>
      sql<{ partition: number; records: string; rows: string; late_events: string; bad_records: string }>(
        'SELECT partition, records::text, rows::text, late_events::text, bad_records::text FROM krange_stream_stats WHERE job = $1 ORDER BY partition',
        [j],
      );
    const fastStats = await stats(fast.job);
    expect(fastStats.reduce((n, s) => n + Number(s.bad_records), 0)).toBe(10);
    expect(fastStats.reduce((n, s) => n + Number(s.records), 0)).toBe(1000 + AWKWARD.length);
    expect(fastStats).toEqual(await stats(slow.job));
    const fastDl = deadLetters(dlFast, 10);
    expect(fastDl).toHaveLength(10);
    expect(fastDl.join('\n')).toContain("krange.error=value does not fit the schema: 'note'");
    expect(fastDl).toEqual(deadLetters(dlSlow, 10));
  });
});
