// The Redis `latest` mode against a real server: each key keeps the value of its highest Kafka
// offset, whatever order the records arrive in and however often a range is replayed.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSinkSchema } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { RedisSink } from '../../../src/sinks/redis/redis-sink.ts';
import { closeRedis, redisReader } from '../../helpers/sink-servers.ts';
import { endpoints, type RowInput, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schema = { user: t.utf8(), n: t.int64() };
const prefix = uniqueId('krange_it');
let redis: Redis;

function sink(options: Record<string, unknown> = {}) {
  return new RedisSink(
    redisSinkSchema.parse({ kind: 'redis', mode: 'latest', key: `${prefix}:{user}`, ...options }),
    endpoints().redisUrl,
  );
}

/** Records at offsets [from, to) of one partition, for users u0..u9 round robin. */
function range(from: number, to: number, partition = 0, timestamp?: (offset: number) => number): RowInput[] {
  return Array.from({ length: to - from }, (_, i) => {
    const offset = from + i;
    return {
      partition,
      offset,
      ...(timestamp ? { timestamp: timestamp(offset) } : {}),
      row: { user: `u${offset % 10}`, n: BigInt(offset) },
    };
  });
}

async function stored(user: string): Promise<{ v: unknown; o: string | undefined; p: string | undefined }> {
  const h = await redis.hgetall(`${prefix}:${user}`);
  return { v: h['v'] === undefined ? undefined : JSON.parse(h['v']), o: h['o'], p: h['p'] };
}

beforeAll(() => {
  redis = redisReader();
});
afterAll(() => closeRedis(redis, prefix));

describe('redis latest', () => {
  it('keeps the highest offset per key when an older range is replayed', async () => {
    const s = sink({ pipelineSize: 64 });
    try {
      await runSinkTask(s, schema, sinkRows(schema, range(0, 1000)), 100);
      // A replay of an older range (a retried task, a rerun of iteration 0): nothing moves back.
      await runSinkTask(s, schema, sinkRows(schema, range(0, 500)), 100, 2);
      // Out of order inside one batch: offset 1007 arrives before 1003 (same user u3 vs u7).
      const mixed = sinkRows(schema, [...range(1007, 1008), ...range(1003, 1004), ...range(993, 994)]);
      await runSinkTask(s, schema, mixed);
    } finally {
      await s.close();
    }
    for (let u = 0; u < 10; u++) {
      const expected = u === 7 ? 1007 : u === 3 ? 1003 : 990 + u;
      const got = await stored(`u${u}`);
      expect(got.o).toBe(String(expected));
      // bigint fields are written as decimal strings, not thrown on.
      expect(got.v).toEqual({ user: `u${u}`, n: String(expected) });
    }
  });

  it('compares offsets as exact int64 decimals', async () => {
    const s = sink({ key: `${prefix}:big:{user}` });
    const big = 2n ** 62n;
    const rows = (offsets: bigint[]) =>
      sinkRows(
        schema,
        offsets.map((offset) => ({ offset, row: { user: 'x', n: offset } })),
      );
    try {
      await runSinkTask(s, schema, rows([big + 1n]));
      await runSinkTask(s, schema, rows([big])); // one less than stored: differs only past 2^53
      await runSinkTask(s, schema, rows([999n]));
    } finally {
      await s.close();
    }
    expect(await redis.hget(`${prefix}:big:x`, 'o')).toBe((big + 1n).toString());
  });

  it('across partitions, keeps the record with the later timestamp', async () => {
    const s = sink({ key: `${prefix}:xp:{user}` });
    const rowsAt = (partition: number, offset: number, timestamp: number) =>
      sinkRows(schema, [{ partition, offset, timestamp, row: { user: 'y', n: offset } }]);
    try {
      await runSinkTask(s, schema, rowsAt(0, 500, 2000));
      await runSinkTask(s, schema, rowsAt(1, 3, 1000)); // older by timestamp, though another partition
      expect(await redis.hget(`${prefix}:xp:y`, 'p')).toBe('0');
      await runSinkTask(s, schema, rowsAt(1, 4, 3000));
      expect(await redis.hget(`${prefix}:xp:y`, 'p')).toBe('1');
      // Replaying partition 0 does not take the key back.
      await runSinkTask(s, schema, rowsAt(0, 500, 2000));
    } finally {
      await s.close();
    }
    expect(await redis.hgetall(`${prefix}:xp:y`)).toMatchObject({ p: '1', o: '4', ts: '3000' });
  });

  it('writes 50k rows in one task (its rate is printed, never asserted: see make bench)', async () => {
    const s = sink({ key: `${prefix}:rate:{user}:{offset}`, pipelineSize: 1000 });
    const data = sinkRows(schema, range(0, 50_000));
    const started = performance.now();
    try {
      await runSinkTask(s, schema, data);
    } finally {
      await s.close();
    }
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `[redis sink] latest: ${data.length} writes in ${seconds.toFixed(2)} s (${Math.round(data.length / seconds)}/s)\n`,
    );
    expect(await redis.exists(`${prefix}:rate:u9:49999`)).toBe(1);
  });
});
