// Set-up and checks for the three-sink job (test/fixtures/jobs/three-sinks.ts): HDFS holds every
// record once (DuckDB), MongoDB one document per record, and each Redis `latest` key the payload
// of its Kafka key's highest offset.
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { expect } from 'vitest';
import { type BatchFixture, batchFixture, expectExactlyOnce } from './batch.ts';
import { endpoints, uniqueId } from './sinks.ts';

export const THREE_SINKS_JOB = resolve('test/fixtures/jobs/three-sinks.ts');

export interface ThreeSinkFixture extends BatchFixture {
  database: string;
  prefix: string;
}

export async function threeSinkFixture(
  partitions = 3,
  extraEnv: Record<string, string> = {},
): Promise<ThreeSinkFixture> {
  const database = uniqueId('krange_e2e');
  const prefix = uniqueId('krange_e2e');
  const f = await batchFixture(partitions, {
    KRANGE_TEST_MONGO_DB: database,
    KRANGE_TEST_REDIS_PREFIX: prefix,
    ...extraEnv,
  });
  return { ...f, database, prefix };
}

interface Doc {
  _id: string;
  user: string;
  payload: string;
  kafka_partition: number;
  kafka_offset: number;
}

export async function mongoDocs(f: ThreeSinkFixture): Promise<Doc[]> {
  const client = await new MongoClient(endpoints().mongoUrl).connect();
  try {
    return await client.db(f.database).collection<Doc>('events').find().toArray();
  } finally {
    await client.close();
  }
}

export async function expectThreeSinksExact(f: ThreeSinkFixture): Promise<void> {
  await expectExactlyOnce(f);

  const docs = await mongoDocs(f);
  expect(docs).toHaveLength(f.payloads.length);
  expect(new Set(docs.map((d) => d.payload))).toEqual(new Set(f.payloads));
  for (const d of docs) expect(d._id).toBe(`${f.topic}:${d.kafka_partition}:${d.kafka_offset}`);

  // Per Kafka key (one partition each), the payload at the highest offset.
  const latest = new Map<string, Doc>();
  for (const d of docs) {
    const cur = latest.get(d.user);
    if (cur === undefined || d.kafka_offset > cur.kafka_offset) latest.set(d.user, d);
  }
  const redis = new Redis(endpoints().redisUrl);
  try {
    const keys = await redis.keys(`${f.prefix}:*`);
    expect(keys).toHaveLength(latest.size);
    for (const [user, d] of latest) {
      const h = await redis.hgetall(`${f.prefix}:${user}`);
      expect({ user, o: h['o'], payload: JSON.parse(h['v'] ?? 'null')?.payload }).toEqual({
        user,
        o: String(d.kafka_offset),
        payload: d.payload,
      });
    }
  } finally {
    redis.disconnect();
  }
}

export async function dropThreeSinkData(f: ThreeSinkFixture): Promise<void> {
  const client = await new MongoClient(endpoints().mongoUrl).connect();
  await client
    .db(f.database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  const redis = new Redis(endpoints().redisUrl);
  const keys = await redis.keys(`${f.prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
