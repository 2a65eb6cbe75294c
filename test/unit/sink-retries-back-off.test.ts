import { describe, expect, it } from 'vitest';
import { backoffDelay, RetriesExhausted, withRetries } from '../../src/retry.ts';

describe('sink retries', () => {
  it('doubles the delay up to a cap, with jitter of +-25 %', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 100, 1000, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(75);
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(125);
  });

  it('retries transient errors, then gives up with the attempt count and last error', async () => {
    let calls = 0;
    const err = await withRetries(
      async () => {
        calls++;
        throw new Error(`down ${calls}`);
      },
      { retries: 2, baseDelayMs: 1, isTransient: () => true },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(RetriesExhausted);
    expect((err as RetriesExhausted).attempts).toBe(3);
    expect((err as RetriesExhausted).message).toBe('down 3');
  });

  it('rethrows a non-transient error at once, and returns the first success', async () => {
    const fatal = new Error('bad');
    await expect(
      withRetries(() => Promise.reject(fatal), { retries: 5, isTransient: () => false }),
    ).rejects.toBe(fatal);
    let calls = 0;
    const seen: number[] = [];
    const v = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (++calls < 2) throw new Error('blip');
        return 'ok';
      },
      { retries: 5, baseDelayMs: 1, isTransient: () => true },
    );
    expect(v).toBe('ok');
    expect(seen).toEqual([1, 2]);
  });
});
