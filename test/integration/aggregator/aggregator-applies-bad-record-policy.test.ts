// Malformed records follow onBadRecord in the aggregator as in the batch job: 'fail' stops it with
// an error naming topic, partition and offset, after storing everything before the bad record (a
// restart stops there again); 'deadLetter' counts them and sends them to the dead-letter topic.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  produceAgg,
  rng,
  runAggregatorHere,
  sql,
  T0,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';
import { createTopic, produce, testKafka, uniqueName } from '../../helpers/kafka.ts';

let fixture: AggFixture | undefined;
let extra: string[] = [];
afterEach(async () => {
  if (fixture) await dropFixture(fixture, extra);
  fixture = undefined;
  extra = [];
});

function run(f: AggFixture, signal?: AbortSignal): Promise<void> {
  return runAggregatorHere(f, 'bad-records', signal ? { signal } : {});
}

const BAD = [
  'not json at all',
  JSON.stringify({ user: 'u1', page: '/a', country: 'FR', ts: 'soon', amount: 1 }),
  JSON.stringify({ user: 'u1', page: '/a', country: 'FR', ts: T0, amount: 'lots' }),
];

describe('aggregator', () => {
  it("stops on the first bad record under 'fail', naming it, with everything before it stored", async () => {
    const f = await aggFixture(1, { KRANGE_AGG_BAD: 'fail' });
    fixture = f;
    const random = rng(3);
    const good = genEvents(random, 1000, T0).map((e) => ({ ...e, partition: 0 }));
    await produceAgg(f, good);
    await produce(f.topic, [{ value: BAD[0] ?? '', partition: 0 }]);
    await produce(
      f.topic,
      genEvents(random, 100, T0 + 100_000).map((e) => ({ value: JSON.stringify(e), partition: 0 })),
    );

    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await run(f).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe('KRANGE_BAD_RECORD');
      expect(err?.message).toContain(`${f.topic}[0]@1000`);
      const [pos] = await sql<{ next_offset: string }>(
        'SELECT next_offset::text FROM krange_stream_offsets WHERE job = $1',
        [f.job],
      );
      expect(pos?.next_offset).toBe('1000');
      await expectTableMatchesTruth(f);
    }
  });

  it('counts bad records and sends them to the dead-letter topic under deadLetter', async () => {
    const dlq = uniqueName('bad');
    extra = [dlq];
    await createTopic(dlq, 1);
    const f = await aggFixture(2, { KRANGE_AGG_BAD: `dl-topic:${dlq}` });
    fixture = f;
    const random = rng(4);
    await produceAgg(f, genEvents(random, 500, T0));
    await produce(
      f.topic,
      BAD.map((value) => ({ value, partition: 1 })),
    );
    await produceAgg(f, genEvents(random, 500, T0 + 500 * 37));

    const ac = new AbortController();
    const running = run(f, ac.signal);
    try {
      await waitCaughtUp(f);
    } finally {
      ac.abort();
      await running;
    }
    await expectTableMatchesTruth(f);
    const [stats] = await sql<{ bad: string; records: string }>(
      'SELECT sum(bad_records)::text AS bad, sum(records)::text AS records FROM krange_stream_stats WHERE job = $1',
      [f.job],
    );
    expect(stats).toEqual({ bad: '3', records: '1003' });

    const consumer = testKafka().consumer({ groupId: uniqueName('dlq-reader') });
    const seen: { stage: string; offset: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 15_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({
            stage: String(message.headers?.['krange.stage']),
            offset: String(message.headers?.['krange.offset']),
          });
          if (seen.length >= 3) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(seen.map((s) => s.stage).sort()).toEqual(['decode', 'schema', 'schema']);
  });
});
