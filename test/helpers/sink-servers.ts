// The clients sink tests read MongoDB and Redis with (independent of the sinks' own), and the
// clean-up of what a test file left there: its database dropped, its keys deleted.
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { endpoints } from './sinks.ts';

/** A Redis client on KRANGE_REDIS_URL that reconnects by itself (an outage test stops the server). */
export function redisReader(): Redis {
  const redis = new Redis(endpoints().redisUrl);
  redis.on('error', () => undefined);
  return redis;
}

/** Deletes the keys under `prefix` and disconnects. */
export async function closeRedis(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

export function mongoReader(): Promise<MongoClient> {
  return new MongoClient(endpoints().mongoUrl).connect();
}

/** Drops `database` (if there) and closes the client. */
export async function closeMongo(client: MongoClient, database: string): Promise<void> {
  await client
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
}
