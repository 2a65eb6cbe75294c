// The Redis sink writes the row as the schema checked it, like the Parquet and Mongo sinks: fields the
// schema does not declare are left out, an int64 given as a string is stored as the number, and a
// timestamp given with an offset is stored as the UTC instant in ISO-8601.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { RedisSink } from '../../../src/sinks/redis/redis-sink.ts';
import { endpoints, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = { id: t.int64(), at: t.timestamp('ms'), name: t.utf8() };
const prefix = uniqueId('krange_checked');
let redis: Redis;

const data = sinkRows(schema, [
  {
    offset: 7,
    row: { id: '9007199254740993', at: '2026-11-24T10:00:00.5+02:00', name: 'n', secret: 'not in schema' },
  },
]);

beforeAll(() => {
  redis = new Redis(endpoints().redisUrl);
  redis.on('error', () => undefined);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('redis sink values', () => {
  it('set stores the checked values of the schema fields only', async () => {
    const s = new RedisSink(
      redisSinkSchema.parse({ kind: 'redis', mode: 'set', key: `${prefix}:set:{id}` }),
      endpoints().redisUrl,
    );
    try {
      await runSinkTask(s, schema, data);
    } finally {
      await s.close();
    }
    expect(await redis.get(`${prefix}:set:9007199254740993`)).toBe(
      '{"id":"9007199254740993","at":"2026-11-24T08:00:00.500Z","name":"n"}',
    );
  });

  it('hset stores the checked values as strings, without the undeclared field', async () => {
    const s = new RedisSink(
      redisSinkSchema.parse({ kind: 'redis', mode: 'hset', key: `${prefix}:h:{id}` }),
      endpoints().redisUrl,
    );
    try {
      await runSinkTask(s, schema, data);
    } finally {
      await s.close();
    }
    expect(await redis.hgetall(`${prefix}:h:9007199254740993`)).toEqual({
      id: '9007199254740993',
      at: '2026-11-24T08:00:00.500Z',
      name: 'n',
    });
  });
});
