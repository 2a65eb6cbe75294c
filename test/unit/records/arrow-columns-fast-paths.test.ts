// The hot-path shortcuts of RowBatcher give exactly what the plain ways give: int64 numbers written
// into the BigInt64Array's buffer word by word, decimal int64 strings parsed without BigInt,
// ISO-8601 timestamps parsed by hand (compared with Date.parse), short ASCII strings copied by hand.
import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { FieldError } from '../../../src/records/coerce.ts';
import { parseTimestampMs } from '../../../src/records/time.ts';
import { CheckedBatcher } from '../../helpers/checked-batcher.ts';

/** mulberry32: reproducible random numbers in [0, 1). */
function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function fieldErrorOf(fn: () => unknown): FieldError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FieldError) return err;
    throw err;
  }
  throw new Error('expected a FieldError');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The reference rule for an int64 given as a string: /^-?\d{1,19}$/ and within int64. */
function referenceInt64(s: string): bigint | undefined {
  if (!/^-?\d{1,19}$/.test(s)) return undefined;
  const b = BigInt(s);
  return b >= INT64_MIN && b <= INT64_MAX ? b : undefined;
}

describe('CheckedBatcher int64', () => {
  const r = rand(1);
  const numbers = [
    0,
    -0,
    1,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 7,
    2 ** 32 - 1,
    2 ** 32,
    -(2 ** 32),
    2 ** 32 + 5,
    -(2 ** 32) - 5,
    2 ** 40 + 3,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    ...Array.from({ length: 500 }, () => Math.floor((r() - 0.5) * 2 ** 54)),
    ...Array.from({ length: 500 }, () => Math.floor((r() - 0.5) * 2 ** 34)),
  ];

  it('writes safe-integer numbers (negative, above 2^32) so that Arrow reads them back exactly', () => {
    const b = new CheckedBatcher({ v: t.int64() });
    for (const v of numbers) b.append({ v });
    expect(b.coerce({ v: -0 })[0]).toBe(0);
    const col = b.flush().getChild('v')!.toArray() as BigInt64Array;
    expect([...col]).toEqual(numbers.map((v) => BigInt(v)));
  });

  it('takes numbers and bigints in one column, nulls in between, over buffer growth', () => {
    const b = new CheckedBatcher({ v: t.nullable(t.int64()) });
    const expected: (bigint | null)[] = [];
    for (let i = 0; i < 5000; i++) {
      const k = i % 7;
      const v =
        k === 0 ? null : k === 1 ? INT64_MIN : k === 2 ? INT64_MAX : k === 3 ? -5n : numbers[i % 100]!;
      b.append({ v });
      expected.push(v === null ? null : BigInt(v));
    }
    const col = b.flush().getChild('v')!;
    expect(col.nullCount).toBe(expected.filter((v) => v === null).length);
    expect(Array.from({ length: col.length }, (_, i) => col.get(i) as bigint | null)).toEqual(expected);
  });

  it('parses decimal strings exactly like /^-?\\d{1,19}$/ + BigInt, with the same errors', () => {
    const rs = rand(2);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rs() * 10)).join('');
    const strings = [
      '0',
      '-0',
      '7',
      '-7',
      '000000000000042',
      '0000000000000042',
      '00000000000000000042',
      '999999999999999',
      '-999999999999999',
      '1000000000000000',
      '9007199254740993',
      '9223372036854775807',
      '-9223372036854775808',
      '9223372036854775808',
      '-9223372036854775809',
      '99999999999999999999',
      '4294967296',
      '-4294967297',
      '',
      '-',
      '+1',
      ' 1',
      '1 ',
      '1.5',
      '1e3',
      '0x10',
      '12a',
      '--1',
      '١٢',
      ...Array.from({ length: 300 }, (_, i) => `${i % 2 ? '-' : ''}${digits(1 + (i % 20))}`),
    ];
    const b = new CheckedBatcher({ v: t.int64() });
    const good: bigint[] = [];
    for (const s of strings) {
      const want = referenceInt64(s);
      if (want === undefined) {
        const err = fieldErrorOf(() => b.append({ v: s }));
        expect(err.field).toBe('v');
        // Digits beyond int64 are out of range (named as such); anything else is not an int64.
        expect(err.message).toBe(
          /^-?\d+$/.test(s)
            ? `got string ${JSON.stringify(s)}, out of range for int64 (-9223372036854775808 to 9223372036854775807)`
            : `got string ${JSON.stringify(s)}, expected int64`,
        );
        continue;
      }
      const got = b.coerce({ v: s })[0];
      // Up to 15 digits (always a safe integer) a plain number, else a bigint.
      expect(typeof got).toBe(s.replace('-', '').length <= 15 ? 'number' : 'bigint');
      expect(Object.is(got, -0)).toBe(false);
      expect(BigInt(got as number | bigint)).toBe(want);
      b.append({ v: s });
      good.push(want);
    }
    expect(b.rows).toBe(good.length);
    expect([...(b.flush().getChild('v')!.toArray() as BigInt64Array)]).toEqual(good);
  });

  it('refuses what it refused before, naming the field', () => {
    const b = new CheckedBatcher({ v: t.int64() });
    for (const v of [1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 63n, true, {}, [1]]) {
      expect(fieldErrorOf(() => b.append({ v })).field).toBe('v');
    }
    expect(fieldErrorOf(() => b.append({})).message).toBe('is missing or null but the schema says int64');
    expect(b.rows).toBe(0);
  });
});

/** Date.parse's result for ISO strings of many shapes around the instant ms. */
function isoVariants(ms: number, r: () => number): string[] {
  const iso = new Date(ms).toISOString();
  if (iso.length !== 24) return [iso];
  const base = iso.slice(0, 19);
  const frac = Array.from({ length: 1 + Math.floor(r() * 9) }, () => Math.floor(r() * 10)).join('');
  const oh = String(Math.floor(r() * 24)).padStart(2, '0');
  const om = String(Math.floor(r() * 60)).padStart(2, '0');
  return [
    iso,
    `${base}Z`,
    `${base}.${frac}Z`,
    `${base}+${oh}:${om}`,
    `${base}-${oh}:${om}`,
    `${base}.${frac}-${oh}:${om}`,
    `${base}.${frac.slice(0, 1)}+${oh}:${om}`,
  ];
}

describe('parseTimestampMs', () => {
  it('equals Date.parse on random ISO-8601 strings of every accepted shape', { timeout: 60_000 }, () => {
    const r = rand(3);
    const lo = Date.UTC(1900, 0, 1);
    const instants = [
      ...Array.from({ length: 3000 }, () => Math.floor(r() * 253_402_300_799_999)),
      ...Array.from({ length: 2000 }, () => -Math.floor(r() * 62_167_219_200_000)),
      ...Array.from({ length: 2000 }, () => lo + Math.floor(r() * 4e12)),
      0,
      -1,
      -62_167_219_200_000, // 0000-01-01
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      Date.UTC(2000, 1, 29),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 1, 28),
      Date.UTC(2026, 10, 25, 10, 11, 12, 345),
    ];
    let n = 0;
    for (const ms of instants) {
      for (const s of isoVariants(ms, r)) {
        expect([s, parseTimestampMs(s)]).toEqual([s, Date.parse(s)]);
        n++;
      }
    }
    expect(n).toBeGreaterThan(40_000);
  });

  it('equals Date.parse on every day of some years and on near-miss strings, valid or not', () => {
    const strings: string[] = [];
    for (const y of [
      '0000',
      '0001',
      '0099',
      '0100',
      '1600',
      '1900',
      '1969',
      '1970',
      '2000',
      '2023',
      '2024',
      '2100',
    ]) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 32; d++) {
          strings.push(`${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T12:00:00Z`);
        }
      }
    }
    strings.push(
      '2026-11-25T24:00:00Z',
      '2026-11-25T24:00:01Z',
      '2026-11-25T23:60:00Z',
      '2026-11-25T23:59:60Z',
      '2026-11-25T10:11:12+24:00',
      '2026-11-25T10:11:12+23:59',
      '2026-11-25T10:11:12+05:60',
      '2026-11-25T10:11:12+0530',
      '2026-11-25T10:11:12-00:00',
      '2026-11-25T10:11:12.Z',
      '2026-11-25T10:11:12.1234567890123Z',
      '2026-11-25t10:11:12z',
      '2026-11-25T10:11:12.123z',
      '2026-11-25 10:11:12Z',
      '2026-11-25T10:11:12',
      '2026-11-25T10:11:12.345',
      '2026-11-25T10:11Z',
      '2026-11-25',
      '+002026-11-25T10:11:12Z',
      '-000001-01-01T00:00:00Z',
      '2026-11-25T10:11:12ZZ',
      '2026-11-25T10:11:12Z ',
      ' 2026-11-25T10:11:12Z',
      '2026-11-25T10:11:12+05:30x',
      '2026-1a-25T10:11:12Z',
      '2026/11/25T10:11:12Z',
      '20261125T101112Z',
      'Wed, 25 Nov 2026 10:11:12 GMT',
      'yesterday',
      '',
    );
    for (const s of strings) expect([s, parseTimestampMs(s)]).toEqual([s, Date.parse(s)]);
  });

  it('gives RowBatcher the same timestamps as before, and invalid strings still fail', () => {
    const b = new CheckedBatcher({ ms: t.timestamp('ms'), s: t.timestamp('s'), us: t.timestamp('us') });
    const r = rand(4);
    const values: unknown[] = [];
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor((r() - 0.3) * 4e12);
      const k = i % 4;
      values.push(
        k === 0 ? new Date(ms).toISOString() : k === 1 ? ms + r() : k === 2 ? new Date(ms) : BigInt(ms),
      );
    }
    for (const v of values) b.append({ ms: v, s: v, us: v });
    const batch = b.flush();
    const col = (n: string) => [...(batch.getChild(n)!.data[0]!.values as BigInt64Array)];
    const asMs = (v: unknown): number =>
      typeof v === 'string' ? Date.parse(v) : v instanceof Date ? v.getTime() : (v as number);
    // The base implementation's conversions, value by value.
    expect(col('ms')).toEqual(values.map((v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(asMs(v))))));
    expect(col('s')).toEqual(
      values.map((v) => (typeof v === 'bigint' ? v : BigInt(Math.floor(asMs(v) / 1000)))),
    );
    expect(col('us')).toEqual(
      values.map((v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(asMs(v) * 1000)))),
    );
    for (const bad of ['yesterday', '2026-02-30T25:00:00Z', '2026-11-25T10:11:12.Z', Number.NaN]) {
      const err = fieldErrorOf(() => b.append({ ms: bad, s: 0, us: 0 }));
      expect(err.field).toBe('ms');
      expect(err.message).toMatch(/expected timestamp\(ms, UTC\)/);
    }
    expect(b.rows).toBe(0);
  });
});

describe('CheckedBatcher buffers', () => {
  const schema = {
    s: t.nullable(t.utf8()),
    n: t.int32(),
    f: t.nullable(t.float64()),
    ok: t.nullable(t.bool()),
    tags: t.nullable(t.list(t.nullable(t.utf8()))),
    ids: t.list(t.int64()),
  };
  const strings = [
    '',
    'a',
    'ascii text',
    'x'.repeat(63),
    'x'.repeat(64),
    'é',
    `${'a'.repeat(31)}é`,
    '日本',
    '😀!',
  ];

  function rows(seed: number, count: number): Record<string, unknown>[] {
    const r = rand(seed);
    const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
    return Array.from({ length: count }, (_, i) => ({
      s: r() < 0.2 ? null : pick(strings),
      n: i,
      f: r() < 0.5 ? null : r(),
      ok: r() < 0.3 ? null : r() < 0.5,
      tags:
        r() < 0.2
          ? null
          : Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.2 ? null : pick(strings))),
      ids: Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.5 ? String(i) : i)),
    }));
  }

  function readBack(batch: ReturnType<CheckedBatcher['flush']>): Record<string, unknown>[] {
    return Array.from({ length: batch.numRows }, (_, i) => {
      const row = batch.get(i)!.toJSON() as Record<string, unknown>;
      for (const k of ['tags', 'ids']) {
        const v = row[k] as { toArray(): unknown[] } | null;
        row[k] = v === null ? null : [...v.toArray()];
      }
      return row;
    });
  }

  it('keeps each batch intact when the next reuses the buffers (nulls, lists, bools, utf8)', () => {
    const b = new CheckedBatcher(schema);
    const first = rows(5, 3000);
    const second = rows(6, 10); // no nulls at its start: the validity bitmap starts afresh
    const third = rows(7, 2500);
    const batches = [first, second, third].map((rs) => {
      for (const row of rs) b.append(row);
      return b.flush();
    });
    const expected = (rs: Record<string, unknown>[]) =>
      rs.map((row) => ({ ...row, ids: (row['ids'] as unknown[]).map((v) => BigInt(v as number | string)) }));
    expect(readBack(batches[0]!)).toEqual(expected(first));
    expect(readBack(batches[1]!)).toEqual(expected(second));
    expect(readBack(batches[2]!)).toEqual(expected(third));
  });

  it('returns a list unchanged when its items are, a copy when coerce changes an item', () => {
    const b = new CheckedBatcher({ tags: t.list(t.nullable(t.utf8())), ids: t.list(t.int64()) });
    const tags = ['a', null, 'b'];
    const ids = [1, '2', 3n];
    const [ctags, cids] = b.coerce({ tags, ids });
    expect(ctags).toBe(tags);
    expect(cids).not.toBe(ids);
    expect(cids).toEqual([1, 2, 3n]);
    expect(ids).toEqual([1, '2', 3n]);
    const withUndefined = ['a', undefined];
    expect(b.coerce({ tags: withUndefined, ids: [] })[0]).toEqual(['a', null]);
    const err = fieldErrorOf(() => b.append({ tags: ['a'], ids: [1, 'x'] }));
    expect([err.field, err.message]).toEqual(['ids[]', 'got string "x", expected int64']);
    expect(b.rows).toBe(0);
  });
});
