import { Long, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import {
  defaultMongoId,
  documentBuilder,
  isTransientMongoError,
  isTransientWriteError,
  mongoTarget,
  toMongoValue,
} from '../../../src/sinks/mongo/mongo-docs.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';

function sinkRow(row: Record<string, unknown>, values: unknown[], seq = 0): SinkRow {
  return { row, values, topic: 'orders', partition: 4, offset: 9_007_199_254_740_993n, timestamp: 5, seq };
}

describe('document _id', () => {
  it('defaults to <topic>:<partition>:<offset>, exact past 2^53, plus :<seq> for later rows', () => {
    expect(defaultMongoId(sinkRow({}, []))).toBe('orders:4:9007199254740993');
    expect(defaultMongoId(sinkRow({}, [], 2))).toBe('orders:4:9007199254740993:2');
  });

  it("uses the job's id() with the record's coordinates", () => {
    const build = documentBuilder(
      { user: t.utf8() },
      (row, rec) => `${String(row['user'])}@${rec.offset}/${rec.seq}`,
    );
    expect(build(sinkRow({ user: 'ann' }, ['ann'], 1))._id).toBe('ann@9007199254740993/1');
  });

  it('uses a schema field named _id when the job has no id()', () => {
    const build = documentBuilder({ _id: t.int64(), v: t.utf8() }, undefined);
    expect(build(sinkRow({}, [12n, 'x']))).toEqual({ _id: 12, v: 'x' });
  });

  it('refuses an id() that returns something else than a string or number', () => {
    const build = documentBuilder({ v: t.utf8() }, () => ({}) as unknown as string);
    expect(() => build(sinkRow({}, ['x']))).toThrow(/returned object/);
  });
});

describe('values by schema type', () => {
  it('int64: a number when safe, else an exact Long', () => {
    expect(toMongoValue(42n, t.int64())).toBe(42);
    const big = toMongoValue(2n ** 62n, t.int64());
    expect(big).toBeInstanceOf(Long);
    expect((big as Long).toBigInt()).toBe(2n ** 62n);
    expect((toMongoValue(-(2n ** 62n), t.int64()) as Long).toBigInt()).toBe(-(2n ** 62n));
  });

  it('timestamps in any unit become Dates (millisecond precision)', () => {
    expect(toMongoValue(1_700_000_000n, t.timestamp('s'))).toEqual(new Date(1_700_000_000_000));
    expect(toMongoValue(1_700_000_000_123n, t.timestamp('ms'))).toEqual(new Date(1_700_000_000_123));
    expect(toMongoValue(1_700_000_000_123_999n, t.timestamp('us'))).toEqual(new Date(1_700_000_000_123));
    expect(toMongoValue(1_700_000_000_123_000_001n, t.timestamp('ns'))).toEqual(new Date(1_700_000_000_123));
    expect(toMongoValue(-1n, t.timestamp('us'))).toEqual(new Date(-1));
  });

  it('lists convert item by item; nulls stay null', () => {
    expect(toMongoValue([1n, 2n ** 60n], t.list(t.int64()))).toEqual([1, Long.fromBigInt(2n ** 60n)]);
    expect(toMongoValue(null, t.nullable(t.utf8()))).toBeNull();
  });
});

describe('target and errors', () => {
  it('names the target without credentials or options', () => {
    expect(mongoTarget('mongodb://u:secret@h1:1,h2:2/admin?replicaSet=rs0', 'db', 'c')).toBe(
      'mongodb://h1:1,h2:2/db.c',
    );
    expect(mongoTarget('mongodb+srv://u:p@cluster.example.net/?x=1', 'db', 'c')).toBe(
      'mongodb+srv://cluster.example.net/db.c',
    );
  });

  it('retries network trouble, elections and shutdowns; not rejections', () => {
    expect(isTransientMongoError(new MongoNetworkError('socket closed'))).toBe(true);
    const server = (code: number, errmsg: string) => new MongoServerError({ code, errmsg, message: errmsg });
    expect(isTransientMongoError(server(10107, 'not writable primary'))).toBe(true);
    expect(isTransientMongoError(server(11600, 'interrupted at shutdown'))).toBe(true);
    expect(isTransientMongoError(server(13, 'unauthorized'))).toBe(false);
    expect(
      isTransientWriteError(
        11000,
        'E11000 duplicate key error collection: d.c index: _id_ dup key: { _id: "a" }',
      ),
    ).toBe(true);
    expect(
      isTransientWriteError(11000, 'E11000 duplicate key error collection: d.c index: user_1 dup key'),
    ).toBe(false);
    expect(isTransientWriteError(11000, 'E11000 duplicate key error collection: d.c')).toBe(false);
    expect(isTransientWriteError(2, 'invalid key: "a.b" (key must not contain \'.\' sign)')).toBe(false);
  });
});
