// Retention loss fails by default with the lost range named, and is skipped and recorded with
// failOnDataLoss: false. A partition added between iterations is read from earliest. Ranges with
// gaps (transaction markers, aborted transactions, compaction) complete without waiting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, logLines } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import {
  createTopic,
  produce,
  uniqueName,
  watermarks,
  withAdmin,
  withProducer,
} from '../../helpers/kafka.ts';

describe('data loss', () => {
  it('fails naming the lost range, or skips and records it with failOnDataLoss: false', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 400);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    const committed = await watermarks(f.topic);
    await produceEvents(f, 400);
    const p0 = committed.find((m) => m.partition === 0)!;
    const lostTo = p0.high + 50n;
    await withAdmin(async (a) => {
      // kafkajs needs the topic's metadata loaded before deleteTopicRecords.
      await a.fetchTopicMetadata({ topics: [f.topic] });
      await a.deleteTopicRecords({
        topic: f.topic,
        partitions: [{ partition: 0, offset: lostTo.toString() }],
      });
    });

    const failed = await cli(['run', EVENTS_JOB], f.env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`data loss in ${f.topic}[0]: offsets [${p0.high}, ${lostTo})`);
    const state = JSON.parse((await cli(['state', EVENTS_JOB, '--json'], f.env)).stdout);
    expect(state.iterations).toHaveLength(1);

    const skipped = await cli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_FAIL_ON_LOSS: 'false' });
    expect(skipped.code).toBe(0);
    const commit = JSON.parse(readFileSync(join(f.stateDir, f.job, 'commits', '1.json'), 'utf8'));
    expect(commit.skipped).toEqual([
      {
        topic: f.topic,
        partition: 0,
        from: p0.high.toString(),
        to: lostTo.toString(),
        reason: 'offset-out-of-range',
      },
    ]);
    // The skip is logged as the dataloss.skipped event with the same range.
    const lossEvents = logLines(skipped.stderr).filter((l) => l.event === 'dataloss.skipped');
    expect(lossEvents).toHaveLength(1);
    expect(lossEvents[0]).toMatchObject({
      topic: f.topic,
      partition: 0,
      from: p0.high.toString(),
      to: lostTo.toString(),
    });
    const { local } = await downloadParquet(f.hdfsDir);
    const [row] = await query(`select count(*)::int as n from ${parquetGlob(local)}`);
    expect(row?.['n']).toBe(800 - 50);
  });

  it('reads a partition added between iterations from earliest', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 300);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await withAdmin((a) => a.createPartitions({ topicPartitions: [{ topic: f.topic, count: 3 }] }));
    const extra = Array.from({ length: 40 }, (_, i) => `new-${i}`);
    await produce(
      f.topic,
      extra.map((p, i) => ({ value: JSON.stringify({ id: 10_000 + i, payload: p }), partition: 2 })),
    );
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await expectExactlyOnce(f, [...f.payloads, ...extra]);
  });
});

describe('gaps', () => {
  it('completes ranges holding transaction markers and aborted records', async () => {
    const f = await batchFixture(1);
    const committedPayloads: string[] = [];
    await withProducer(
      async (p) => {
        for (let t = 0; t < 6; t++) {
          const tx = await p.transaction();
          const payloads = Array.from({ length: 25 }, (_, i) => `tx${t}-${i}`);
          await tx.send({
            topic: f.topic,
            compression: CompressionTypes.GZIP,
            messages: payloads.map((payload, i) => ({ value: JSON.stringify({ id: t * 100 + i, payload }) })),
          });
          if (t % 3 === 2) await tx.abort();
          else {
            await tx.commit();
            committedPayloads.push(...payloads);
          }
        }
      },
      { transactionalId: uniqueName('tx') },
    );
    const r = await cli(['run', EVENTS_JOB], f.env);
    expect(r.code).toBe(0);
    await expectExactlyOnce(f, committedPayloads);
    const plan = JSON.parse(readFileSync(join(f.stateDir, f.job, 'offsets', '0.json'), 'utf8'));
    // 150 records + 6 markers: the range covers offsets that hold no data record.
    expect(Number(plan.ranges[0].end)).toBe(156);
  });

  it('completes a range of a compacted topic', async () => {
    const f = await batchFixture(1);
    const topic = uniqueName('compact');
    await createTopic(topic, 1, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.ms', value: '100' },
      { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      { name: 'min.compaction.lag.ms', value: '0' },
      { name: 'delete.retention.ms', value: '0' },
    ]);
    // 20 keys written 10 times each: compaction keeps the last value per key.
    const latest = new Map<string, string>();
    for (let round = 0; round < 10; round++) {
      const msgs = Array.from({ length: 20 }, (_, k) => {
        const payload = `k${k}-r${round}`;
        latest.set(`k${k}`, payload);
        return { key: `k${k}`, value: JSON.stringify({ id: round * 100 + k, payload }) };
      });
      await produce(topic, msgs);
      await new Promise((res) => setTimeout(res, 150));
    }
    // Wait until the log cleaner removed some records (a read from 0 sees fewer than 200).
    const consumerCount = async (): Promise<number> => {
      const { FetchRangeReader } = await import('../../../src/kafka/range-reader.ts');
      const reader = new FetchRangeReader({
        brokers: [process.env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092'],
        clientId: 't',
        isolation: 'read_committed',
        fetchMaxBytes: 1 << 20,
      });
      let n = 0;
      for await (const b of reader.read({ topic, partition: 0, begin: 0n, end: 200n })) n += b.length;
      await reader.close();
      return n;
    };
    const deadline = Date.now() + 90_000;
    let seen = await consumerCount();
    while (seen >= 200 && Date.now() < deadline) {
      await produce(topic, [{ key: 'roll', value: JSON.stringify({ id: 9999, payload: 'roll' }) }]);
      await new Promise((res) => setTimeout(res, 1000));
      seen = await consumerCount();
    }
    expect(seen).toBeLessThan(200);
    const r = await cli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_TOPIC: topic });
    expect(r.code).toBe(0);
    const { local } = await downloadParquet(f.hdfsDir);
    const rows = await query(`select payload from ${parquetGlob(local)}`);
    const payloads = new Set(rows.map((x) => x['payload']));
    for (const v of latest.values()) expect(payloads.has(v)).toBe(true);
    expect(rows.length).toBeLessThan(200 + 100);
  });
});
