// The Kafka sink's records, read back with kcat (read_committed): the row as JSON keyed by a field
// (int64 exact), or what message(row) returns (key, value, headers); the `source` partitioner keeps
// the source partition; zstd (built in) works; a record over maxMessageBytes follows onBadRecord.
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSinkSchema } from '../../../src/job/job-spec.ts';
import { type Schema, t } from '../../../src/job/schema.ts';
import { KafkaSink } from '../../../src/sinks/kafka/kafka-sink.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';
import { brokers, createTopic, uniqueName } from '../../helpers/kafka.ts';
import { kcatReadCommitted } from '../../helpers/pg-kafka.ts';
import { runSinkTask, sinkRows, taskContext } from '../../helpers/sinks.ts';

const schema: Schema = { user: t.utf8(), big: t.int64(), body: t.utf8() };
const sinks: KafkaSink[] = [];
function sink(options: Record<string, unknown>): KafkaSink {
  const s = new KafkaSink(kafkaSinkSchema.parse({ kind: 'kafka', ...options }), brokers());
  sinks.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

/** kcat read_committed: partition, key, headers and value of every record, by value. */
function kcat(topic: string): { p: number; key: string; headers: string; value: string }[] {
  return kcatReadCommitted(topic)
    .map((r) => ({ p: r.partition, key: r.key, headers: r.headers, value: r.value }))
    .sort((a, b) => a.value.localeCompare(b.value));
}

describe('kafka sink records', () => {
  it('produces the JSON of each row keyed by a field, int64 exact, zstd, partition kept with `source`', async () => {
    const topic = uniqueName('out');
    await createTopic(topic, 4);
    // The range's marker is an offset commit on the source partition: the source topic must exist.
    const src = uniqueName('src');
    await createTopic(src, 3);
    const rows = sinkRows(
      schema,
      [
        { offset: 5, partition: 2, row: { user: 'u1', big: 9007199254740993n, body: 'a' } },
        { offset: 6, partition: 2, row: { user: 'u2', big: 1, body: 'b' } },
      ],
      src,
    );
    const stats = await runSinkTask(
      sink({ topic, key: 'user', partitioner: 'source', compression: 'zstd' }),
      schema,
      rows,
    );
    expect(stats.rows).toBe(2);
    expect(kcat(topic)).toEqual([
      {
        p: 2,
        key: 'u1',
        headers: `krange-source=${src}/2/5`,
        value: '{"user":"u1","big":9007199254740993,"body":"a"}',
      },
      { p: 2, key: 'u2', headers: `krange-source=${src}/2/6`, value: '{"user":"u2","big":1,"body":"b"}' },
    ]);
  });

  it("produces what message(row) returns, and refuses a record over maxMessageBytes under 'skip'", async () => {
    const topic = uniqueName('out');
    await createTopic(topic, 1);
    const src = uniqueName('src');
    await createTopic(src, 1);
    const rows = sinkRows(
      schema,
      [
        { offset: 0, row: { user: 'u1', big: 1, body: 'short' } },
        { offset: 1, row: { user: 'u2', big: 2, body: 'x'.repeat(5000) } },
      ],
      src,
    );
    const s = sink({
      topic,
      maxMessageBytes: 1000,
      message: (row: Record<string, unknown>) => ({
        key: `user-${String(row['user'])}`,
        value: String(row['body']).toUpperCase(),
        headers: { kind: 'test' },
      }),
    });
    const refused: string[] = [];
    const ctx = {
      ...taskContext(schema, rows),
      reject: (r: SinkRow, reason: string) => refused.push(`${r.offset}: ${reason}`),
    };
    const w = await s.open(ctx);
    await w.write(rows);
    expect((await w.commit()).rows).toBe(1);
    expect(refused).toEqual([
      expect.stringMatching(/^1: the Kafka record is 50\d\d bytes, over maxMessageBytes 1000/),
    ]);
    expect(kcat(topic)).toEqual([
      { p: 0, key: 'user-u1', headers: `kind=test,krange-source=${src}/0/0`, value: 'SHORT' },
    ]);
  });

  it("sends a task's 3 MB to one partition in requests the broker accepts", async () => {
    const topic = uniqueName('out');
    await createTopic(topic, 2);
    const src = uniqueName('src');
    await createTopic(src, 2);
    const rows = sinkRows(
      schema,
      Array.from({ length: 3000 }, (_, i) => ({
        offset: i,
        partition: 1,
        row: { user: `u${i}`, big: i, body: 'y'.repeat(1000) },
      })),
      src,
    );
    expect((await runSinkTask(sink({ topic, partitioner: 'source' }), schema, rows)).rows).toBe(3000);
    const got = kcat(topic);
    expect(got).toHaveLength(3000);
    expect(new Set(got.map((r) => r.p))).toEqual(new Set([1]));
  });
});
