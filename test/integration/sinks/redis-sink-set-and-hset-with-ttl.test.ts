// The Redis `set` and `hset` modes against a real server: keys from the template, JSON or a single
// field as the value, hashes that mirror the row, TTLs, and a clear error for a missing key field.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { redisSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { RedisSink } from '../../../src/sinks/redis/redis-sink.ts';
import { closeRedis, redisReader } from '../../helpers/sink-servers.ts';
import { endpoints, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = {
  id: t.utf8(),
  score: t.float64(),
  big: t.int64(),
  flag: t.bool(),
  note: t.nullable(t.utf8()),
};
const prefix = uniqueId('krange_it');
let redis: Redis;

function sink(options: Record<string, unknown>) {
  return new RedisSink(redisSinkSchema.parse({ kind: 'redis', ...options }), endpoints().redisUrl);
}

const data = sinkRows(
  schema,
  [0, 1, 2].map((i) => ({
    offset: 10 + i,
    partition: 1,
    row: {
      id: `a${i}`,
      score: i + 0.5,
      big: 2n ** 60n + BigInt(i),
      flag: i % 2 === 0,
      note: i === 1 ? null : `n${i}`,
    },
  })),
);

beforeAll(() => {
  redis = redisReader();
});
afterAll(() => closeRedis(redis, prefix));

describe('redis set and hset', () => {
  it('set stores the row as JSON under the rendered key, with a TTL', async () => {
    const s = sink({ mode: 'set', key: `${prefix}:set:{topic}:{partition}:{offset}:{id}`, ttlSeconds: 120 });
    try {
      const stats = await runSinkTask(s, schema, data);
      expect(stats.rows).toBe(3);
      expect(stats.files).toEqual([
        `${endpoints().redisUrl.replace(/\/$/, '')}/${prefix}:set:{topic}:{partition}:{offset}:{id}`,
      ]);
    } finally {
      await s.close();
    }
    const key = `${prefix}:set:events:1:11:a1`;
    expect(JSON.parse((await redis.get(key)) ?? 'null')).toEqual({
      id: 'a1',
      score: 1.5,
      big: (2n ** 60n + 1n).toString(),
      flag: false,
      note: null,
    });
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('set with valueField stores that field alone; without ttlSeconds the key does not expire', async () => {
    const s = sink({ mode: 'set', key: `${prefix}:vf:{id}`, valueField: 'note' });
    try {
      await runSinkTask(
        s,
        schema,
        data.filter((r) => r.row['note'] !== null),
      );
    } finally {
      await s.close();
    }
    expect(await redis.get(`${prefix}:vf:a2`)).toBe('n2');
    expect(await redis.ttl(`${prefix}:vf:a2`)).toBe(-1);
  });

  it('hset writes the row fields as strings, drops null fields, and sets the TTL', async () => {
    const key = `${prefix}:h:a1`;
    await redis.hset(key, 'note', 'stale', 'other', 'kept');
    const s = sink({ mode: 'hset', key: `${prefix}:h:{id}`, ttlSeconds: 60, pipelineSize: 2 });
    try {
      await runSinkTask(s, schema, data);
    } finally {
      await s.close();
    }
    expect(await redis.hgetall(key)).toEqual({
      id: 'a1',
      score: '1.5',
      big: (2n ** 60n + 1n).toString(),
      flag: 'false',
      other: 'kept',
    });
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(40);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('names the record and the field when a key placeholder has no value', async () => {
    const s = sink({ mode: 'set', key: `${prefix}:m:{note}` });
    try {
      const err = await runSinkTask(s, schema, data).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isKrangeError(err, 'KRANGE_BAD_RECORD')).toBe(true);
      expect((err as Error).message).toMatch(/events\[1\]@11 field 'note'/);
    } finally {
      await s.close();
    }
  });

  it('names the record whose key holds another type (WRONGTYPE)', async () => {
    await redis.rpush(`${prefix}:wt:a0`, 'x');
    const s = sink({ mode: 'hset', key: `${prefix}:wt:{id}` });
    try {
      const err = await runSinkTask(s, schema, data).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isKrangeError(err, 'KRANGE_BAD_RECORD')).toBe(true);
      expect((err as Error).message).toMatch(/events\[1\]@10: redis rejected key '.*:wt:a0': WRONGTYPE/);
    } finally {
      await s.close();
    }
  });

  it('writes 50k rows in one task (its rate is printed, never asserted: see make bench)', async () => {
    const s = sink({ mode: 'set', key: `${prefix}:rate:{offset}`, pipelineSize: 1000 });
    const many = sinkRows(
      schema,
      Array.from({ length: 50_000 }, (_, i) => ({
        offset: i,
        row: { id: `r${i}`, score: i, big: BigInt(i), flag: true, note: null },
      })),
    );
    const started = performance.now();
    try {
      await runSinkTask(s, schema, many);
    } finally {
      await s.close();
    }
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `[redis sink] set: ${many.length} writes in ${seconds.toFixed(2)} s (${Math.round(many.length / seconds)}/s)\n`,
    );
    expect(await redis.exists(`${prefix}:rate:49999`)).toBe(1);
  });
});
