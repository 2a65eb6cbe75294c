import { describe, expect, it } from 'vitest';
import {
  type Acc,
  accToJson,
  addValue,
  initAcc,
  type Measure,
  mergeAcc,
  toMicros,
} from '../../../src/job/aggregate/measures.ts';

const count: Measure = { name: 'n', op: 'count', index: -1, kind: 'int' };
const sumInt: Measure = { name: 's', op: 'sum', field: 'a', index: 0, kind: 'int' };
const sumFloat: Measure = { name: 'f', op: 'sum', field: 'x', index: 1, kind: 'float' };
const minInt: Measure = { name: 'lo', op: 'min', field: 'a', index: 0, kind: 'int' };
const maxText: Measure = { name: 'hi', op: 'max', field: 'u', index: 2, kind: 'text' };
const minTime: Measure = { name: 't', op: 'min', field: 'ts', index: 3, kind: 'time', unit: 'ms' };
const distinct: Measure = { name: 'd', op: 'countDistinct', field: 'u', index: 2, kind: 'text' };
const all = [count, sumInt, sumFloat, minInt, maxText, minTime, distinct];

/** Rows in schema order: a int64 (bigint), x float64, u utf8, ts timestamp(ms) (bigint). */
const rows: unknown[][] = [
  [5n, 1.5, 'bob', 1000n],
  [-3n, null, 'amy', 500n],
  [9_007_199_254_740_993n, 2.25, 'bob', null],
  [null, 0.25, null, 2000n],
];

function fold(m: Measure, rs: unknown[][]): Acc {
  return rs.reduce<Acc>((acc, r) => addValue(m, acc, r), initAcc(m));
}

describe('measures', () => {
  it('count counts rows; sum, min, max and countDistinct skip nulls like SQL', () => {
    expect(fold(count, rows)).toBe(4);
    expect(fold(sumInt, rows)).toBe(5n - 3n + 9_007_199_254_740_993n);
    expect(fold(sumFloat, rows)).toBe(4);
    expect(fold(minInt, rows)).toBe(-3n);
    expect(fold(maxText, rows)).toBe('bob');
    expect(fold(minTime, rows)).toBe(500n);
    expect([...(fold(distinct, rows) as Set<string>)].sort()).toEqual(['amy', 'bob']);
    expect(fold(minInt, [[null, 0, 'x', 1n]])).toBeNull();
  });

  it('merging the folds of any split equals folding everything (the flush and upsert rule)', () => {
    for (const m of all) {
      const whole = accToJson(m, fold(m, rows));
      for (let cut = 0; cut <= rows.length; cut++) {
        const a = fold(m, rows.slice(0, cut));
        const b = fold(m, rows.slice(cut));
        expect(accToJson(m, mergeAcc(m, b, a)), `${m.name} cut ${cut}`).toEqual(whole);
      }
    }
  });

  it('travels to PostgreSQL as exact strings: int64 sums, microsecond times, sorted sets', () => {
    expect(accToJson(count, 3)).toBe(3);
    expect(accToJson(sumInt, 12_345_678_901_234_567_890n)).toBe('12345678901234567890');
    expect(accToJson(sumFloat, Number.NaN)).toBe('NaN');
    expect(accToJson(minTime, 1500n)).toBe('1500000');
    expect(accToJson(distinct, new Set(['b', 'a']))).toEqual(['a', 'b']);
    expect(accToJson(minInt, null)).toBeNull();
  });

  it('converts timestamps of every unit to microseconds, flooring before the epoch', () => {
    expect(toMicros(2n, 's')).toBe(2_000_000n);
    expect(toMicros(2n, 'ms')).toBe(2000n);
    expect(toMicros(2n, 'us')).toBe(2n);
    expect(toMicros(2999n, 'ns')).toBe(2n);
    expect(toMicros(-1n, 'ns')).toBe(-1n);
  });
});
