// The flush transaction moves each partition's stored offset by compare-and-set: a member that lost
// a partition without noticing (a zombie still holding deltas from the old stored offset) has its
// whole flush rolled back, so PostgreSQL never counts a record twice; its flusher drops the
// partition, says so (aggregate.fenced) and re-reads the stored offset. Real PostgreSQL, no Kafka.

import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetters } from '../../../src/aggregator/dead-letters.ts';
import { Flusher } from '../../../src/aggregator/flusher.ts';
import { PartitionState, tpKey } from '../../../src/aggregator/partition-state.ts';
import { AggregateStore } from '../../../src/aggregator/pg-store.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { serviceEndpoints } from '../../../src/job/endpoints.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { createLogger } from '../../../src/logger.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';
import { makeAggJob } from '../../fixtures/jobs/agg-events.ts';
import { AGG_JOB, pgUrl, sql, T0 } from '../../helpers/aggregator.ts';
import { testKafka, uniqueName } from '../../helpers/kafka.ts';
import { captureLog } from '../../helpers/log-capture.ts';

const job = uniqueName('fence').replace('-', '_');
const topic = 'fence-topic';
const spec = validateJob(makeAggJob({ KRANGE_AGG_JOB: job, KRANGE_AGG_TOPIC: topic }), AGG_JOB);
const plan = planAggregate(spec);
const logger = createLogger('aggregate-test');

afterEach(async () => {
  await sql(`DROP TABLE IF EXISTS "${plan.table}"`);
  await sql('DELETE FROM krange_stream_offsets WHERE job = $1', [job]);
  await sql('DELETE FROM krange_stream_stats WHERE job = $1', [job]);
});

let offset = 0n;
function row(partition: number, amount: number): SinkRow {
  // Schema order: user, page, country, ts, amount.
  return {
    row: {},
    values: ['u1', '/a', 'FR', BigInt(T0), BigInt(amount)],
    topic,
    partition,
    offset: offset++,
    timestamp: T0,
    seq: 0,
  };
}

function consume(st: PartitionState, n: number, amount: number): void {
  for (let i = 0; i < n; i++) {
    st.addRecord(plan, [row(st.partition, amount)], { key: null, value: null });
    st.position++;
  }
}

async function totals(): Promise<{ events: string; amount_sum: string }[]> {
  return sql(`SELECT events::text, amount_sum::text FROM "${plan.table}" ORDER BY window_start`);
}

describe('aggregator flush', () => {
  it('rolls back a flush whose partition offset moved since the member read it (zombie fencing)', async () => {
    const store = new AggregateStore(plan, { url: pgUrl(), poolSize: 2, statementTimeout: 5000, logger });
    try {
      await store.ensureSchema();
      await store.insertStartPositions([
        { topic, partition: 0, next: 0n },
        { topic, partition: 1, next: 0n },
      ]);
      const stored = await store.readPositions();
      const at = (p: number) => stored.get(`${topic}:${p}`)!;

      // The zombie and the new owner both start partition 0 from the stored offset 0.
      const zombie0 = new PartitionState(topic, 0, at(0), false);
      const zombie1 = new PartitionState(topic, 1, at(1), false);
      const owner0 = new PartitionState(topic, 0, at(0), false);
      consume(zombie0, 10, 1);
      consume(zombie1, 5, 100);
      consume(owner0, 10, 1);

      const first = owner0.snapshot();
      expect((await store.flush([first])).fenced).toEqual([]);
      owner0.committed(first);
      expect(await totals()).toEqual([
        { events: '10', amount_sum: '10' },
        { events: '10', amount_sum: '10' },
        { events: '10', amount_sum: '10' },
      ]);

      // The zombie's flush expects offset 0 for partition 0, finds 10: nothing of it is written,
      // not even partition 1's part, which shares the transaction.
      const z0 = zombie0.snapshot();
      const z1 = zombie1.snapshot();
      const res = await store.flush([z0, z1]);
      expect(res.fenced).toEqual([z0]);
      expect(await totals()).toEqual([
        { events: '10', amount_sum: '10' },
        { events: '10', amount_sum: '10' },
        { events: '10', amount_sum: '10' },
      ]);
      const positions = await store.readPositions();
      expect(positions.get(`${topic}:0`)?.nextOffset).toBe(10n);
      expect(positions.get(`${topic}:1`)?.nextOffset).toBe(0n);

      // The owner goes on from 10; a re-synced partition 1 flushes alone.
      consume(owner0, 4, 2);
      const second = owner0.snapshot();
      expect(second.expected).toBe(10n);
      const res2 = await store.flush([second, z1]);
      expect(res2.fenced).toEqual([]);
      expect((await totals())[0]).toEqual({ events: '19', amount_sum: '518' });
      const stats = await sql<{ partition: number; records: string }>(
        'SELECT partition, records::text FROM krange_stream_stats WHERE job = $1 ORDER BY partition',
        [job],
      );
      expect(stats).toEqual([
        { partition: 0, records: '14' },
        { partition: 1, records: '5' },
      ]);
    } finally {
      await store.close();
    }
  });

  it('drops a fenced partition in the flusher, logs aggregate.fenced and re-reads its offset', async () => {
    const store = new AggregateStore(plan, { url: pgUrl(), poolSize: 2, statementTimeout: 5000, logger });
    const log = captureLog();
    try {
      await store.ensureSchema();
      await store.insertStartPositions([{ topic, partition: 0, next: 0n }]);
      const at0 = (await store.readPositions()).get(`${topic}:0`)!;
      const zombie = new PartitionState(topic, 0, at0, false);
      const owner = new PartitionState(topic, 0, at0, false);
      consume(zombie, 6, 1);
      consume(owner, 8, 1);
      const first = owner.snapshot();
      expect((await store.flush([first])).fenced).toEqual([]);

      // The zombie member's flusher still owns partition 0 at the old offset.
      const states = new Map([[tpKey(topic, 0), zombie]]);
      const reloaded: string[][] = [];
      const flusher = new Flusher({
        plan,
        store,
        deadLetters: new DeadLetters(
          spec,
          testKafka(),
          async () => {
            throw new Error('no dead letter is sent here');
          },
          serviceEndpoints(),
        ),
        states,
        log: log.logger,
        flushInterval: 60_000,
        flushRecords: 1,
        reload: (keys) => reloaded.push(keys),
        fatal: (err) => {
          throw err;
        },
      });
      flusher.start();
      const fenced = await log.waitFor('aggregate.fenced');
      await flusher.close(Date.now() + 5000);
      expect(fenced).toMatchObject({ topic, partition: 0, expected: '0' });
      expect(reloaded).toEqual([[tpKey(topic, 0)]]);
      expect(states.size).toBe(0);
      expect((await store.readPositions()).get(`${topic}:0`)?.nextOffset).toBe(8n);
      expect((await totals()).map((r) => r.events)).toEqual(['8', '8', '8']);
    } finally {
      await store.close();
    }
  });
});
