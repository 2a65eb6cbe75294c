// Topics written by producers krange did not write (kcat/librdkafka and Kafka's Java console
// producer), one per codec, are read exactly by a batch job (checked with DuckDB) and by the
// streaming aggregator, with no codec set up in the job; dead letters go out lz4-compressed and
// kcat reads them back.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggEvent,
  type AggFixture,
  aggFixture,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  rng,
  startAggregator,
  stopAggregator,
  T0,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';
import { batchFixture, checksum, EVENTS_JOB } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import { type Codec, javaProduce, kcatConsume, kcatProduce } from '../../helpers/external-producers.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

const CODECS: Codec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

let agg: AggFixture | undefined;
afterEach(async () => {
  if (agg) await dropFixture(agg);
  agg = undefined;
});

function eventLines(prefix: string, from: number, n: number): { lines: string[]; payloads: string[] } {
  const payloads = Array.from(
    { length: n },
    (_, i) => `${prefix}-${from + i}-${'x'.repeat((from + i) % 40)}`,
  );
  return { payloads, lines: payloads.map((p, i) => JSON.stringify({ id: from + i, payload: p })) };
}

describe('compressed topics from real producers', () => {
  it('a batch job reads every codec exactly, from kcat and from the Java producer', async () => {
    const f = await batchFixture(2);
    const dlTopic = uniqueName('dlq-lz4');
    await createTopic(dlTopic, 1);
    const topics: string[] = [];
    const payloads: string[] = [];
    for (const codec of CODECS) {
      const topic = uniqueName(`kcat-${codec}`);
      await createTopic(topic, 2);
      topics.push(topic);
      for (const partition of [0, 1]) {
        const { lines, payloads: p } = eventLines(`kcat-${codec}-p${partition}`, partition * 10_000, 3000);
        kcatProduce(topic, partition, codec, lines);
        payloads.push(...p);
      }
    }
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      const topic = uniqueName(`java-${codec}`);
      await createTopic(topic, 1);
      topics.push(topic);
      const { lines, payloads: p } = eventLines(`java-${codec}`, 0, 3000);
      javaProduce(topic, codec, lines);
      payloads.push(...p);
    }
    // Three records the transform refuses, in a zstd topic: dead letters, written lz4-compressed.
    const badTopic = topics[3]!;
    kcatProduce(badTopic, 0, 'zstd', [
      '{"id":1,"payload":"THROW-a"}',
      '{"id":2,"payload":"THROW-b"}',
      '{"id":3,"payload":"THROW-c"}',
    ]);

    const env = {
      ...f.env,
      KRANGE_TEST_TOPIC: topics.join(','),
      KRANGE_TEST_BAD: `dl-topic:${dlTopic}`,
      KRANGE_TEST_DL_COMPRESSION: 'lz4',
    };
    const res = await cli(['run', EVENTS_JOB], env);
    expect(res.code, res.stderr.slice(-3000)).toBe(0);

    const { local } = await downloadParquet(f.hdfsDir);
    const [row] = await query(
      `select count(*)::bigint as n, count(distinct payload)::bigint as d,
              md5(string_agg(payload, '|' order by payload)) as checksum,
              count(*) filter (where id >= 10000)::bigint as p1
       from ${parquetGlob(local)}`,
    );
    expect(Number(row?.['n'])).toBe(payloads.length);
    expect(Number(row?.['d'])).toBe(payloads.length);
    expect(row?.['checksum']).toBe(checksum(payloads));
    expect(Number(row?.['p1'])).toBe(4 * 3000);

    const dead = kcatConsume(dlTopic);
    expect(dead.map((d) => d.value).sort()).toEqual([
      '{"id":1,"payload":"THROW-a"}',
      '{"id":2,"payload":"THROW-b"}',
      '{"id":3,"payload":"THROW-c"}',
    ]);
    expect(dead.map((d) => d.key)).toEqual([
      `${badTopic}:0:3000`,
      `${badTopic}:0:3001`,
      `${badTopic}:0:3002`,
    ]);
  });

  it('the aggregator reads every codec exactly, from kcat and from the Java producer', async () => {
    const f = await aggFixture(4);
    agg = f;
    const random = rng(7);
    const line = (e: AggEvent) =>
      JSON.stringify({ user: e.user, page: e.page, country: e.country, ts: e.ts, amount: e.amount });
    for (const [partition, codec] of CODECS.entries()) {
      const events = genEvents(random, 3000, T0 + partition * 1_000_000);
      kcatProduce(f.topic, partition, codec, events.map(line));
      f.events.push(...events);
    }
    // Java's xerial-framed snappy, anywhere in the topic (an hour of lateness: order does not matter).
    const java = genEvents(random, 3000, T0 + 5_000_000);
    javaProduce(f.topic, 'snappy', java.map(line));
    f.events.push(...java);

    const h = startAggregator(f);
    try {
      await waitCaughtUp(f, 90_000);
    } finally {
      await stopAggregator(h);
    }
    await expectTableMatchesTruth(f);
  });
});
