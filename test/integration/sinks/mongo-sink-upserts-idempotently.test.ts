// The Mongo sink against a real server (FerretDB or mongod): writing the same range twice leaves
// exactly one document per record, typed by the schema, with the job's indexes created once.
import { Long, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { MongoSink } from '../../../src/sinks/mongo/mongo-sink.ts';
import { closeMongo, mongoReader } from '../../helpers/sink-servers.ts';
import { endpoints, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = {
  user: t.utf8(),
  amount: t.int64(),
  at: t.timestamp('ms'),
  tags: t.list(t.utf8()),
  note: t.nullable(t.utf8()),
};
const database = uniqueId('krange_it');
let client: MongoClient;

function rows(n: number, partition = 0, from = 0) {
  return sinkRows(
    schema,
    Array.from({ length: n }, (_, i) => ({
      partition,
      offset: from + i,
      row: {
        user: `u${(from + i) % 50}`,
        amount: i === 0 ? 2n ** 60n + 1n : BigInt(i * 10),
        at: 1_700_000_000_000 + i,
        tags: ['a', String(i)],
        note: i % 2 === 0 ? null : 'odd',
      },
    })),
  );
}

function sink(options: Record<string, unknown>) {
  return new MongoSink(mongoSinkSchema.parse({ kind: 'mongo', database, ...options }), endpoints().mongoUrl);
}

beforeAll(async () => {
  client = await mongoReader();
});
afterAll(() => closeMongo(client, database));

describe('mongo sink', () => {
  it('keeps exactly one document per record when the same range is written twice', async () => {
    const s = sink({
      collection: 'events',
      batchSize: 300,
      indexes: [{ keys: { user: 1, at: -1 }, name: 'by_user' }],
    });
    try {
      const data = [...rows(1000, 0, 5000), ...rows(700, 1, 0)];
      const first = await runSinkTask(s, schema, data, 256);
      expect(first.rows).toBe(1700);
      expect(first.bytes).toBeGreaterThan(1700 * 40);
      expect(first.files).toEqual([`${endpoints().mongoUrl.replace(/\/\?.*$/, '')}/${database}.events`]);
      // A replay of the same records (a retried task, a rerun) overwrites.
      await runSinkTask(s, schema, data, 1000, 2);
    } finally {
      await s.close();
    }
    const coll = client.db(database).collection<{ _id: string }>('events');
    expect(await coll.countDocuments()).toBe(1700);
    const ids = new Set((await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
    expect(ids.size).toBe(1700);
    expect(ids.has('events:0:5000')).toBe(true);
    expect(ids.has('events:1:699')).toBe(true);

    const doc = await client
      .db(database)
      .collection('events')
      .findOne({ _id: 'events:0:5000' as never }, { promoteLongs: false });
    expect(doc?.['amount']).toBeInstanceOf(Long);
    expect((doc?.['amount'] as Long | undefined)?.toBigInt()).toBe(2n ** 60n + 1n);
    expect(doc?.['at']).toEqual(new Date(1_700_000_000_000));
    expect(doc?.['tags']).toEqual(['a', '0']);
    expect(doc?.['note']).toBeNull();
    const small = await coll.findOne({ _id: 'events:0:5003' });
    expect(small).toMatchObject({ amount: 30, user: 'u3', note: 'odd' });

    const names = (await client.db(database).collection('events').listIndexes().toArray()).map(
      (i) => i['name'],
    );
    expect(names).toContain('by_user');
  });

  it("keeps the last row per _id when the job's id() maps several records to one document", async () => {
    const s = sink({
      collection: 'by_user',
      batchSize: 64,
      id: (row: Record<string, unknown>) => String(row['user']),
    });
    try {
      await runSinkTask(s, schema, rows(500), 100);
      await runSinkTask(s, schema, rows(120), 100, 2); // an older replay of the beginning
      await runSinkTask(s, schema, rows(500), 100, 3);
    } finally {
      await s.close();
    }
    const coll = client.db(database).collection<{ _id: string; tags: string[] }>('by_user');
    expect(await coll.countDocuments()).toBe(50);
    // u7 last appeared at offset 457 (457 % 50 === 7): its document holds that row.
    expect((await coll.findOne({ _id: 'u7' }))?.tags).toEqual(['a', '457']);
  });

  it('counts the seq of a record that produced several rows into the _id', async () => {
    const s = sink({ collection: 'multi' });
    const data = sinkRows(
      schema,
      [0, 1, 2].map((seq) => ({
        offset: 42,
        seq,
        row: { user: 'x', amount: seq, at: 0, tags: [], note: null },
      })),
    );
    try {
      await runSinkTask(s, schema, data);
    } finally {
      await s.close();
    }
    const ids = (await client.db(database).collection('multi').find().toArray()).map((d) => d._id).sort();
    expect(ids).toEqual(['events:0:42', 'events:0:42:1', 'events:0:42:2']);
  });

  it('upserts many documents, first writes and replays (rates printed, never asserted)', async () => {
    const s = sink({ collection: 'rate', batchSize: 1000 });
    const data = rows(20_000);
    const replay = data.slice(0, 2000);
    let first = 0;
    let again = 0;
    try {
      let started = performance.now();
      await runSinkTask(s, schema, data);
      first = (performance.now() - started) / 1000;
      started = performance.now();
      await runSinkTask(s, schema, replay, 8192, 2);
      again = (performance.now() - started) / 1000;
    } finally {
      await s.close();
    }
    process.stderr.write(
      `[mongo sink] ${data.length} new documents in ${first.toFixed(2)} s (${Math.round(data.length / first)}/s); ` +
        `${replay.length} replayed in ${again.toFixed(2)} s (${Math.round(replay.length / again)}/s)\n`,
    );
    expect(await client.db(database).collection('rate').countDocuments()).toBe(20_000);
  });
});
