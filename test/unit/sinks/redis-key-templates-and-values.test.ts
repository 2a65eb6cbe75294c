import { describe, expect, it } from 'vitest';
import { redisSinkSchema } from '../../../src/job/job-spec.ts';
import { compileKeyTemplate, type KeyTemplate, keyTemplateError } from '../../../src/job/key-template.ts';
import { t as types } from '../../../src/job/schema.ts';
import {
  checkedObject,
  classifyReplies,
  hashFields,
  isRejection,
  isTransientRedisError,
  MissingField,
  redisValue,
  renderKey,
  toJson,
} from '../../../src/sinks/redis/redis-encoding.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';

function sinkRow(row: Record<string, unknown>, offset = 42n): SinkRow {
  return { row, values: [], topic: 'clicks', partition: 3, offset, timestamp: 0, seq: 0 };
}

const render = (t: KeyTemplate, r: SinkRow) => renderKey(t, r.row, r);

describe('key templates', () => {
  it('renders row fields and Kafka coordinates', () => {
    const t = compileKeyTemplate('user:{user_id}:{topic}/{partition}@{offset}');
    expect(t.fields).toEqual(['user_id', 'topic', 'partition', 'offset']);
    expect(render(t, sinkRow({ user_id: 7 }, 2n ** 63n - 1n))).toBe('user:7:clicks/3@9223372036854775807');
  });

  it('prefers a row field over the Kafka coordinate of the same name', () => {
    expect(render(compileKeyTemplate('{topic}'), sinkRow({ topic: 'forum' }))).toBe('forum');
  });

  it('writes scalars plainly: bigint, boolean, Date', () => {
    const t = compileKeyTemplate('{a}|{b}|{c}');
    expect(render(t, sinkRow({ a: 2n ** 64n, b: false, c: new Date(0) }))).toBe(
      '18446744073709551616|false|1970-01-01T00:00:00.000Z',
    );
  });

  it('takes {{ and }} as literal braces, for Redis Cluster hash tags', () => {
    expect(render(compileKeyTemplate('cart:{{{user}}}'), sinkRow({ user: 'u1' }))).toBe('cart:{u1}');
  });

  it('accepts a template without placeholders (one key for all rows, e.g. latest)', () => {
    expect(render(compileKeyTemplate('last-event'), sinkRow({}))).toBe('last-event');
  });

  it('names a missing or null field', () => {
    const t = compileKeyTemplate('u:{user}');
    expect(() => render(t, sinkRow({}))).toThrow(MissingField);
    expect(() => render(t, sinkRow({ user: null }))).toThrow("the row has no value for 'user'");
  });

  it('is checked when the job is loaded', () => {
    const r = redisSinkSchema.safeParse({ kind: 'redis', mode: 'set', key: 'u:{user' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/key template 'u:\{user': unclosed/);
  });

  it('explains malformed templates', () => {
    expect(keyTemplateError('u:{user')).toMatch(/unclosed or empty placeholder at position 2/);
    expect(keyTemplateError('u:{}')).toMatch(/unclosed or empty/);
    expect(keyTemplateError('u:}x')).toMatch(/unmatched '}' at position 2/);
    expect(keyTemplateError('u:{a{b}')).toMatch(/unclosed or empty/);
    expect(keyTemplateError('u:{a}')).toBeUndefined();
  });
});

describe('values', () => {
  it('are the schema-checked values: fields outside the schema left out, timestamps as ISO-8601', () => {
    const of = checkedObject({
      id: types.int64(),
      at: types.timestamp('ms'),
      at_ns: types.nullable(types.timestamp('ns')),
      days: types.list(types.timestamp('s')),
    });
    expect(of([2n ** 60n, 1_764_000_000_123, -1n, [0]])).toEqual({
      id: 2n ** 60n,
      at: '2025-11-24T16:00:00.123Z',
      at_ns: '1969-12-31T23:59:59.999999999Z',
      days: ['1970-01-01T00:00:00Z'],
    });
    expect(of([1, 0, null, []])).toEqual({ id: 1, at: '1970-01-01T00:00:00.000Z', at_ns: null, days: [] });
  });

  it('JSON never throws on bigint', () => {
    expect(toJson({ n: 2n ** 70n, list: [1n] })).toBe('{"n":"1180591620717411303424","list":["1"]}');
  });

  it('set/latest store the row as JSON, or valueField as it is', () => {
    const r = sinkRow({ id: 1, payload: 'raw text', obj: { a: 1n } });
    expect(redisValue(r.row, undefined)).toBe('{"id":1,"payload":"raw text","obj":{"a":"1"}}');
    expect(redisValue(r.row, 'payload')).toBe('raw text');
    expect(redisValue(r.row, 'obj')).toBe('{"a":"1"}');
    expect(() => redisValue(r.row, 'absent')).toThrow(MissingField);
  });

  it('hset turns fields into strings and lists null fields for deletion', () => {
    expect(hashFields({ a: 'x', b: 1.5, c: 10n, d: true, e: null, f: undefined, g: [1, 2] })).toEqual({
      set: ['a', 'x', 'b', '1.5', 'c', '10', 'd', 'true', 'g', '[1,2]'],
      del: ['e', 'f'],
    });
  });
});

describe('error classes', () => {
  it('retries connection trouble and failover replies, not data errors', () => {
    const named = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(
      isTransientRedisError(named('MaxRetriesPerRequestError', 'Reached the max retries per request limit')),
    ).toBe(true);
    expect(
      isTransientRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isTransientRedisError(new Error('Connection is closed.'))).toBe(true);
    expect(isTransientRedisError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isTransientRedisError(new Error("READONLY You can't write against a read only replica."))).toBe(
      true,
    );
    expect(
      isTransientRedisError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')),
    ).toBe(false);
    expect(isTransientRedisError(new Error('OOM command not allowed when used memory > maxmemory'))).toBe(
      false,
    );
    expect(isRejection(new Error('WRONGTYPE Operation against a key'))).toBe(true);
  });
});

describe('classifyReplies', () => {
  const wrongType = () => new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
  const down = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16379'), { code: 'ECONNREFUSED' });

  it('reports a refused row once across the retries of a flush, and asks for a retry on a transient error', () => {
    const owners = ['a', 'a', 'b', 'c'];
    const seen = new Set<string>();
    // First round trip: row a refused (both its commands), row c hits a transient error.
    const first = classifyReplies(
      [
        [wrongType(), null],
        [wrongType(), null],
        [null, 'OK'],
        [down(), null],
      ],
      owners,
      () => false,
      seen,
    );
    expect(first.rejected.map((r) => r.owner)).toEqual(['a']);
    expect(first.transient?.message).toMatch(/ECONNREFUSED/);
    // The retry sends everything again: a is refused again but not reported twice.
    const retry = classifyReplies(
      [
        [wrongType(), null],
        [wrongType(), null],
        [null, 'OK'],
        [null, 1],
      ],
      owners,
      (i) => i === 3,
      seen,
    );
    expect(retry.rejected).toEqual([]);
    expect(retry.transient).toBeUndefined();
    expect(retry.stale).toBe(0);
  });

  it('counts stale latest writes and throws errors that are neither refusals nor transient', () => {
    const out = classifyReplies(
      [
        [null, 0],
        [null, 1],
        [null, 0],
      ],
      ['x', 'y', 'z'],
      () => true,
      new Set(),
    );
    expect(out.stale).toBe(2);
    expect(() =>
      classifyReplies([[new Error('ERR syntax error'), null]], ['x'], () => false, new Set()),
    ).toThrow(/syntax error/);
  });
});
