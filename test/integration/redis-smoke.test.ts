// Smoke test: ioredis pipeline against our Redis.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/kafka.ts';

describe('Redis smoke', () => {
  it('runs a pipeline of writes and reads', async () => {
    const r = new Redis(process.env['KRANGE_REDIS_URL'] ?? 'redis://127.0.0.1:16379');
    const prefix = uniqueName('smoke');
    try {
      const p = r.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`${prefix}:${i}`, String(i));
      await p.exec();
      const values = await r.mget(Array.from({ length: 1000 }, (_, i) => `${prefix}:${i}`));
      expect(values.map(Number)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      await r.hset(`${prefix}:h`, { a: '1', b: '2' });
      expect(await r.hgetall(`${prefix}:h`)).toEqual({ a: '1', b: '2' });
    } finally {
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }
  });
});
