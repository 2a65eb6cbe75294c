// The MongoDB-wire server stops in the middle of a task: the write fails with a KRANGE_SINK error
// naming the target and what to do (retriable, so the pool retries the task); once the server is
// back, the same sink reconnects and the whole range ends as exactly one document per record.
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { mongoSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { MongoSink } from '../../../src/sinks/mongo/mongo-sink.ts';
import { failTaskDuringOutage } from '../../helpers/sink-outage.ts';
import { closeMongo, mongoReader } from '../../helpers/sink-servers.ts';
import { endpoints, runSinkTask, service, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = { id: t.int64(), body: t.utf8() };
const database = uniqueId('krange_it');

afterAll(async () => {
  service('mongo', 'start');
  await closeMongo(await mongoReader(), database);
});

describe('mongo outage', () => {
  it('fails the task with a clear error, then writes everything once the server is back', async () => {
    const s = new MongoSink(
      mongoSinkSchema.parse({ kind: 'mongo', database, collection: 'events', retries: 2, batchSize: 250 }),
      endpoints().mongoUrl,
    );
    const data = sinkRows(
      schema,
      Array.from({ length: 2000 }, (_, i) => ({ offset: i, row: { id: i, body: `b${i}` } })),
    );
    try {
      const { err: k } = await failTaskDuringOutage('mongo', s, schema, data, 1000);
      expect(k.message).toMatch(
        /cannot write 250 document\(s\) to mongodb:\/\/[^ ]+\/krange_it_\w+\.events after 3 attempts/,
      );
      expect(k.message).toMatch(/Check that the server is up/);

      // The task's next attempt on the same sink: the driver reconnected by itself.
      await runSinkTask(s, schema, data, 1000, 2);
    } finally {
      await s.close();
    }
    const client = await new MongoClient(endpoints().mongoUrl).connect();
    try {
      const coll = client.db(database).collection('events');
      expect(await coll.countDocuments()).toBe(2000);
      expect(await coll.findOne({ _id: 'events:0:1999' as never })).toMatchObject({
        id: 1999,
        body: 'b1999',
      });
    } finally {
      await client.close();
    }
  });
});
