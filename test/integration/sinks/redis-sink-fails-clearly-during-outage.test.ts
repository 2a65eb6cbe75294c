// Redis stops in the middle of a task: the write fails with a KRANGE_SINK error that names the
// server and says what to do (retriable, so the pool retries the task); once Redis is back, the
// same sink (its client reconnects) writes the whole range, nothing lost or doubled.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { RedisSink } from '../../../src/sinks/redis/redis-sink.ts';
import { failTaskDuringOutage } from '../../helpers/sink-outage.ts';
import { closeRedis, redisReader } from '../../helpers/sink-servers.ts';
import { endpoints, runSinkTask, service, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = { id: t.int64() };
const prefix = uniqueId('krange_it');
let redis: Redis;

beforeAll(() => {
  redis = redisReader();
});
afterAll(() => {
  service('redis', 'start');
  return closeRedis(redis, prefix);
});

describe('redis outage', () => {
  it('fails the task with a clear error, then writes everything once Redis is back', async () => {
    const s = new RedisSink(
      redisSinkSchema.parse({
        kind: 'redis',
        mode: 'latest',
        key: `${prefix}:{id}`,
        retries: 2,
        pipelineSize: 200,
      }),
      endpoints().redisUrl,
    );
    const data = sinkRows(
      schema,
      Array.from({ length: 3000 }, (_, i) => ({ offset: i, row: { id: i } })),
    );
    try {
      const { err: k, failedAfterMs } = await failTaskDuringOutage('redis', s, schema, data, 1000);
      expect(k.message).toMatch(/cannot write 200 row\(s\) to redis:\/\/[^ ]+ after 3 attempts/);
      expect(k.message).toMatch(/Check that the server is up/);
      expect(failedAfterMs).toBeLessThan(30_000);

      // The task's next attempt, on the same sink: the client reconnected by itself.
      await runSinkTask(s, schema, data, 1000, 2);
    } finally {
      await s.close();
    }
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toHaveLength(3000);
    expect(await redis.hget(`${prefix}:2999`, 'o')).toBe('2999');
  });
});
