// A document the server (or BSON) cannot take fails the task with KRANGE_BAD_RECORD naming the
// record's topic, partition and offset, instead of a bare driver error.
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKrangeError, type KrangeError } from '../../../src/errors.ts';
import { mongoSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { MongoSink } from '../../../src/sinks/mongo/mongo-sink.ts';
import { closeMongo, mongoReader } from '../../helpers/sink-servers.ts';
import { endpoints, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = { user: t.utf8(), body: t.utf8() };
const database = uniqueId('krange_it');
let client: MongoClient;

function sink(options: Record<string, unknown>) {
  return new MongoSink(mongoSinkSchema.parse({ kind: 'mongo', database, ...options }), endpoints().mongoUrl);
}

async function failure(p: Promise<unknown>): Promise<KrangeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isKrangeError(err)) throw new Error(`expected a KrangeError, got ${String(err)}`);
  return err;
}

beforeAll(async () => {
  client = await mongoReader();
});
afterAll(() => closeMongo(client, database));

describe('mongo sink rejections', () => {
  it('names the record whose document is over the BSON size limit', async () => {
    const s = sink({ collection: 'big' });
    const data = sinkRows(schema, [
      { offset: 7, partition: 2, row: { user: 'a', body: 'small' } },
      { offset: 8, partition: 2, row: { user: 'b', body: 'x'.repeat(17 * 1024 * 1024) } },
    ]);
    try {
      const err = await failure(runSinkTask(s, schema, data));
      expect(err.code).toBe('KRANGE_BAD_RECORD');
      expect(err.message).toMatch(/events\[2\]@8/);
      expect(err.message).toMatch(/over the server's limit/);
    } finally {
      await s.close();
    }
  });

  it('names the record that breaks a unique index the job declared, even on a replay', async () => {
    const s = sink({ collection: 'uniq', batchSize: 10, indexes: [{ keys: { user: 1 }, unique: true }] });
    const ok = sinkRows(
      schema,
      [0, 1, 2].map((i) => ({ offset: i, row: { user: `u${i}`, body: 'b' } })),
    );
    try {
      await runSinkTask(s, schema, ok);
      // Replaying the same records is fine: same _id, same user.
      await runSinkTask(s, schema, ok, 8192, 2);
      const clash = sinkRows(schema, [{ offset: 3, row: { user: 'u1', body: 'clash' } }]);
      const err = await failure(runSinkTask(s, schema, clash));
      expect(err.code).toBe('KRANGE_BAD_RECORD');
      expect(err.message).toMatch(/events\[0\]@3/);
      expect(err.message).toMatch(/E11000/);
    } finally {
      await s.close();
    }
    expect(await client.db(database).collection('uniq').countDocuments()).toBe(3);
  });
});
