// Events older than their partition's watermark (max event time seen in that partition minus
// allowedLateness) are counted in krange_stream_stats, sent to the late dead-letter topic, and never
// merged into a window; events within the bound still are. Tumbling windows. The watermark is per
// partition: a partition whose time runs behind another's is not late because of it.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggEvent,
  type AggFixture,
  aggFixture,
  dropFixture,
  expectTableMatchesTruth,
  groundTruth,
  produceAgg,
  runAggregatorHere,
  sql,
  T0,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';
import { createTopic, testKafka, uniqueName } from '../../helpers/kafka.ts';
import { captureLog } from '../../helpers/log-capture.ts';

let fixture: AggFixture | undefined;
let dlq = '';
afterEach(async () => {
  if (fixture) await dropFixture(fixture, [dlq]);
  fixture = undefined;
});

const W = { size: 60_000, slide: 60_000, lateness: 60_000 };

function ev(partition: number, ts: number, i: number): AggEvent {
  return { user: `u${i % 13}`, page: ['/a', '/b'][i % 2]!, country: 'FR', ts, amount: i, partition };
}

async function readTopic(
  topic: string,
  n: number,
): Promise<{ key: string; headers: Record<string, string> }[]> {
  const consumer = testKafka().consumer({ groupId: uniqueName('dlq-reader') });
  const out: { key: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((done) => {
    const timer = setTimeout(done, 15_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ key: message.key?.toString() ?? '', headers });
        if (out.length >= n) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('aggregator', () => {
  it('counts events beyond the lateness bound, sends them to the dead-letter topic, and never merges them', async () => {
    dlq = uniqueName('late');
    await createTopic(dlq, 1);
    const f = await aggFixture(2, {
      KRANGE_AGG_SIZE: String(W.size),
      KRANGE_AGG_SLIDE: String(W.slide),
      KRANGE_AGG_LATENESS: String(W.lateness),
      KRANGE_AGG_LATE: `dl-topic:${dlq}`,
    });
    fixture = f;
    const events: AggEvent[] = [];
    let i = 0;
    // Partition 0: ten minutes of events, then stragglers 5 min old (late), then 30 s old (in time).
    for (let s = 0; s < 600; s += 2) events.push(ev(0, T0 + s * 1000, i++));
    for (let k = 0; k < 40; k++) events.push(ev(0, T0 + 300_000 + k * 1000, i++));
    for (let k = 0; k < 10; k++) events.push(ev(0, T0 + 570_000 + k * 100, i++));
    for (let s = 600; s < 700; s += 5) events.push(ev(0, T0 + s * 1000, i++));
    // Partition 1: its own, older time line; in order, so nothing late there.
    for (let s = 0; s < 200; s += 2) events.push(ev(1, T0 - 3_600_000 + s * 1000, i++));
    await produceAgg(f, events);

    const truth = groundTruth(
      events.map((e) => ({ e, partition: e.partition ?? 0 })),
      W,
    );
    expect(truth.late).toBe(40);

    const ac = new AbortController();
    const log = captureLog();
    const run = runAggregatorHere(f, 'late', { logger: log.logger, signal: ac.signal });
    try {
      await waitCaughtUp(f);
    } finally {
      ac.abort();
      await run;
    }

    await expectTableMatchesTruth(f, W);
    const stats = await sql<{ partition: number; late_events: string; records: string }>(
      'SELECT partition, late_events::text, records::text FROM krange_stream_stats WHERE job = $1 ORDER BY partition',
      [f.job],
    );
    expect(stats).toEqual([
      { partition: 0, late_events: '40', records: String(events.filter((e) => e.partition === 0).length) },
      { partition: 1, late_events: '0', records: '100' },
    ]);
    // The watermark travels with the offset: max event time of partition 0 is its last minute's.
    const [pos] = await sql<{ max_event_time: string }>(
      'SELECT max_event_time::text FROM krange_stream_offsets WHERE job = $1 AND partition = 0',
      [f.job],
    );
    expect(Number(pos?.max_event_time)).toBe(T0 + 695_000);
    // The log tells the same: each flush (aggregate.flushed, debug) with its records, and the late
    // events it counted (aggregate.late).
    const sum = (name: string, field: string) => log.events(name).reduce((n, l) => n + Number(l[field]), 0);
    expect(sum('aggregate.flushed', 'records')).toBe(events.length);
    expect(sum('aggregate.late', 'late')).toBe(40);

    const late = await readTopic(dlq, 40);
    expect(late).toHaveLength(40);
    expect(new Set(late.map((l) => l.key)).size).toBe(40);
    for (const l of late) {
      expect(l.key).toMatch(new RegExp(`^${f.topic}:0:\\d+:0$`));
      expect(l.headers['krange.stage']).toBe('late');
      expect(Date.parse(l.headers['krange.event-time'] ?? '')).toBeLessThan(
        Date.parse(l.headers['krange.watermark'] ?? ''),
      );
    }
  });
});
