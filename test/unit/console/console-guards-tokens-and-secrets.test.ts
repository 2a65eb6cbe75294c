// The console's guards: where it may listen, how tokens compare, and that URLs lose their secrets.

import { describe, expect, it } from 'vitest';
import {
  checkBind,
  isLoopback,
  maskCredentials,
  safeJson,
  tokenMatches,
} from '../../../src/console/security.ts';

describe('console guards', () => {
  it('listens beyond loopback only with a token of 16 characters or more', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(() => checkBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkBind('0.0.0.0', undefined)).toThrow(/KRANGE_CONSOLE_TOKEN/);
    expect(() => checkBind('10.1.2.3', 'short')).toThrow(/KRANGE_CONSOLE_TOKEN/);
    expect(() => checkBind('0.0.0.0', 'a-long-enough-token-123')).not.toThrow();
  });

  it('compares tokens by value whatever their lengths', () => {
    expect(tokenMatches('secret-token-0123456789', 'secret-token-0123456789')).toBe(true);
    expect(tokenMatches('secret-token-0123456788', 'secret-token-0123456789')).toBe(false);
    expect(tokenMatches('', 'secret-token-0123456789')).toBe(false);
    expect(tokenMatches('secret-token-0123456789-and-more', 'secret-token-0123456789')).toBe(false);
  });

  it('masks user and password in every URL of an answer', () => {
    expect(maskCredentials('mongodb://admin:hunter2@db:27017/x')).toBe('mongodb://***@db:27017/x');
    expect(maskCredentials('redis://:pw@r:6379 and postgres://u@pg/db')).toBe(
      'redis://***@r:6379 and postgres://***@pg/db',
    );
    expect(maskCredentials('webhdfs:///data/clickstream')).toBe('webhdfs:///data/clickstream');
    const out = safeJson({ sinks: ['mongo:mongodb://a:b@h/db'], offset: 2n ** 63n - 1n });
    expect(out).not.toContain('a:b@');
    expect(JSON.parse(out).offset).toBe('9223372036854775807');
  });
});
