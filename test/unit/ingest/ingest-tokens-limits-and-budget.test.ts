import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/ingest/byte-budget.ts';
import { resolveIngestConfig } from '../../../src/ingest/ingest-config.ts';
import { RateLimiter } from '../../../src/ingest/rate-limiter.ts';
import { parseTokenEnv, presentedToken, TokenTable, topicAllowed } from '../../../src/ingest/token-rules.ts';

const TOKEN_A = 'a-secret-token-of-some-length';
const TOKEN_B = 'b-secret-token-of-some-length';

describe('token rules', () => {
  const table = new TokenTable([
    { name: 'app', token: TOKEN_A, topics: ['clicks', 'logs-*'] },
    { name: 'admin', token: TOKEN_B, topics: ['*'] },
  ]);

  it('maps a token to its principal and nothing else', () => {
    expect(table.authenticate(TOKEN_A)?.name).toBe('app');
    expect(table.authenticate(TOKEN_B)?.name).toBe('admin');
    expect(table.authenticate('a-secret-token-of-some-lengtH')).toBeUndefined();
    expect(table.authenticate(TOKEN_A.slice(0, -1))).toBeUndefined();
    expect(table.authenticate(undefined)).toBeUndefined();
    expect(table.open).toBe(false);
    expect(new TokenTable([]).open).toBe(true);
  });

  it('allows exact topics, prefix patterns and *', () => {
    expect(topicAllowed(['clicks', 'logs-*'], 'clicks')).toBe(true);
    expect(topicAllowed(['clicks', 'logs-*'], 'logs-app')).toBe(true);
    expect(topicAllowed(['clicks', 'logs-*'], 'clicks2')).toBe(false);
    expect(topicAllowed(['clicks', 'logs-*'], 'log')).toBe(false);
    expect(topicAllowed(['*'], 'anything')).toBe(true);
  });

  it('reads Bearer tokens and Basic auth whose password is the token', () => {
    expect(presentedToken(`Bearer ${TOKEN_A}`)).toBe(TOKEN_A);
    expect(presentedToken(`Basic ${Buffer.from(`user:${TOKEN_A}`).toString('base64')}`)).toBe(TOKEN_A);
    expect(presentedToken('Digest x')).toBeUndefined();
    expect(presentedToken(undefined)).toBeUndefined();
  });

  it('parses KRANGE_INGEST_TOKENS with and without names', () => {
    expect(parseTokenEnv(`app:${TOKEN_A}=clicks,logs-*; ${TOKEN_B}=*`)).toEqual([
      { name: 'app', token: TOKEN_A, topics: ['clicks', 'logs-*'] },
      { name: 'token-2', token: TOKEN_B, topics: ['*'] },
    ]);
    expect(() => parseTokenEnv('no-topics-here')).toThrow(/no '=topics'/);
  });
});

describe('gateway config', () => {
  it('binds loopback by default and refuses another address without tokens', () => {
    expect(resolveIngestConfig({}, { env: {} }).host).toBe('127.0.0.1');
    expect(() => resolveIngestConfig({ host: '0.0.0.0' }, { env: {} })).toThrow(
      /refusing to bind 0.0.0.0 without tokens/,
    );
    const cfg = resolveIngestConfig(
      { host: '0.0.0.0' },
      { env: { KRANGE_INGEST_TOKENS: `app:${TOKEN_A}=*` } },
    );
    expect(cfg.tokens).toHaveLength(1);
  });

  it('never puts a token in a config error', () => {
    let message = '';
    try {
      resolveIngestConfig({}, { env: { KRANGE_INGEST_TOKENS: 'app:short-secret=*' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/tokens\.0\.token: tokens need at least 16 characters/);
    expect(message).not.toContain('short-secret');
  });

  it('refuses unknown keys and a record limit above the request limit', () => {
    expect(() => resolveIngestConfig({ ...({ colour: 'red' } as object) }, { env: {} })).toThrow(/colour/);
    expect(() => resolveIngestConfig({ maxRecordBytes: 10, maxRequestBytes: 5 }, { env: {} })).toThrow(
      /maxRecordBytes/,
    );
    expect(resolveIngestConfig({}, { env: {} }).maxRecordBytes).toBe(1024 * 1024);
  });
});

describe('per-token rate limit', () => {
  it('allows a burst, then asks to wait until the bucket refills', () => {
    const rl = new RateLimiter();
    expect(rl.take('t', 100, 100, 100, 0)).toBe(0);
    expect(rl.take('t', 50, 100, 100, 0)).toBe(500);
    expect(rl.take('t', 50, 100, 100, 500)).toBe(0);
    expect(rl.take('other', 100, 100, 100, 500)).toBe(0);
  });

  it('lets a request larger than the bucket through once the bucket is full', () => {
    const rl = new RateLimiter();
    expect(rl.take('t', 1000, 10, 10, 0)).toBe(0);
    expect(rl.take('t', 1, 10, 10, 0)).toBeGreaterThan(0);
  });
});

describe('in-flight byte budget', () => {
  it('refuses past the limit, but always takes a request when nothing is in flight', () => {
    const b = new ByteBudget(100);
    expect(b.tryAcquire(60)).toBe(true);
    expect(b.tryAcquire(50)).toBe(false);
    expect(b.tryAcquire(40)).toBe(true);
    b.release(100);
    expect(b.inFlight).toBe(0);
    expect(b.tryAcquire(500)).toBe(true);
    expect(b.tryAcquire(1)).toBe(false);
  });
});
