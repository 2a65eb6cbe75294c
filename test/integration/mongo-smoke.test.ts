// Smoke test: the MongoDB driver against our MongoDB-wire server: insert, find, bulk upsert.
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/kafka.ts';

describe('MongoDB smoke', () => {
  it('inserts, finds and bulk-upserts', async () => {
    const client = new MongoClient(
      process.env['KRANGE_MONGO_URL'] ?? 'mongodb://127.0.0.1:27117/?directConnection=true',
    );
    await client.connect();
    const db = client.db(uniqueName('smoke').replace('-', '_'));
    try {
      const c = db.collection<{ _id: string; n: number }>('docs');
      await c.insertMany([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
      ]);
      expect(await c.findOne({ _id: 'b' })).toEqual({ _id: 'b', n: 2 });
      const ops = Array.from({ length: 500 }, (_, i) => ({
        replaceOne: { filter: { _id: `k${i % 250}` }, replacement: { n: i }, upsert: true },
      }));
      await c.bulkWrite(ops, { ordered: false });
      expect(await c.countDocuments()).toBe(252);
      expect((await c.findOne({ _id: 'k0' }))?.n).toBe(250);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });
});
