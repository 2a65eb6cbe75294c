// Every numeric conversion of the schema contract checks its range: a value the type cannot hold is
// refused with the field and the value as given, never wrapped or clamped.
import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { FieldError, RowChecker } from '../../../src/records/coerce.ts';

function errorOf(schema: ConstructorParameters<typeof RowChecker>[0], v: unknown): FieldError {
  try {
    new RowChecker(schema).check({ v });
  } catch (err) {
    if (err instanceof FieldError) return err;
    throw err;
  }
  throw new Error(`expected ${String(v)} to be refused`);
}

describe('range checks', () => {
  it('refuses timestamps(ms) beyond what a date can name, quoting the value', () => {
    const e = errorOf({ v: t.timestamp('ms') }, 1e20);
    expect(e.field).toBe('v');
    expect(e.message).toBe(
      'got number 100000000000000000000, out of range for timestamp(ms, UTC) (-271821-04-20T00:00:00.000Z to +275760-09-13T00:00:00.000Z)',
    );
    expect(errorOf({ v: t.timestamp('s') }, -8.64e15 - 1).message).toMatch(/out of range for timestamp\(s/);
    expect(new RowChecker({ v: t.timestamp('ms') }).check({ v: 8.64e15 })).toEqual([8.64e15]);
  });

  it('refuses timestamps(ns) outside 1677-09-21 .. 2262-04-11 instead of wrapping them', () => {
    for (const v of ['2300-01-01T00:00:00Z', '1500-06-01T00:00:00Z', Date.UTC(2300, 0, 1)]) {
      const e = errorOf({ v: t.timestamp('ns') }, v);
      expect(e.message).toContain(
        `got ${typeof v} ${typeof v === 'string' ? JSON.stringify(v) : v}, out of range`,
      );
      expect(e.message).toContain('1677-09-21T00:12:43.146Z to 2262-04-11T23:47:16.854Z');
    }
    expect(new RowChecker({ v: t.timestamp('ns') }).check({ v: '2262-04-11T23:47:16.854Z' })).toEqual([
      9223372036854000000n,
    ]);
    expect(errorOf({ v: t.timestamp('ns') }, 2n ** 63n).message).toMatch(/out of range/);
    expect(errorOf({ v: t.timestamp('us') }, 9_000_000_000_000_000_000n).message).toMatch(/out of range/);
  });

  it('refuses int32 and int64 overflow, naming the range', () => {
    expect(errorOf({ v: t.int32() }, 2 ** 31).message).toBe(
      'got number 2147483648, out of range for int32 (-2147483648 to 2147483647)',
    );
    expect(errorOf({ v: t.int32() }, -(2 ** 31) - 1).message).toMatch(/out of range for int32/);
    expect(errorOf({ v: t.int64() }, '9223372036854775808').message).toBe(
      'got string "9223372036854775808", out of range for int64 (-9223372036854775808 to 9223372036854775807)',
    );
    expect(errorOf({ v: t.int64() }, -(2n ** 63n) - 1n).message).toMatch(
      /got bigint -9223372036854775809, out of range/,
    );
    expect(errorOf({ v: t.float64() }, 2n ** 1024n).message).toMatch(/out of range for float64/);
  });

  it('checks list items too, naming the item field', () => {
    expect(errorOf({ v: t.list(t.int32()) }, [1, 2 ** 40]).field).toBe('v[]');
  });
});
