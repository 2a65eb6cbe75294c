// The 'json' decoder keeps integers beyond 2^53 exact (BigInt), leaves every other number a number,
// and the schema check then stores the digits as written or refuses them quoting those digits.

import { describe, expect, it } from 'vitest';
import { rand } from '../../../src/demo/clickstream-events.ts';
import { t } from '../../../src/index.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { hasLongDigitRun, parseJsonExact } from '../../../src/records/exact-json.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';

function record(text: string) {
  return {
    topic: 't',
    partition: 0,
    offset: 7n,
    timestamp: 0,
    key: null,
    value: Buffer.from(text),
    headers: {},
    valueText: () => text,
  };
}

describe('exact JSON', () => {
  it('gives BigInts only for integers that are not safe integers', () => {
    expect(
      parseJsonExact(
        '{"a":12345678901234567890,"b":-9223372036854775808,"c":9007199254740991,"d":"12345678901234567890","e":[9007199254740993,1.5,1e300,12345678901234567.5,-0]}',
      ),
    ).toEqual({
      a: 12345678901234567890n,
      b: -9223372036854775808n,
      c: 9007199254740991,
      d: '12345678901234567890',
      e: [9007199254740993n, 1.5, 1e300, Number('12345678901234567.5'), -0],
    });
    expect(parseJsonExact('{"a":1,"b":[2,3]}')).toEqual({ a: 1, b: [2, 3] });
  });

  it('finds a 16-digit run exactly where a regex does', () => {
    const r = rand(12);
    for (let k = 0; k < 5000; k++) {
      const len = Math.floor(r() * 80);
      let s = '';
      for (let i = 0; i < len; i++) s += r() < 0.85 ? String(Math.floor(r() * 10)) : 'x';
      expect(hasLongDigitRun(s), s).toBe(/\d{16}/.test(s));
    }
  });

  it('stores the digits as written in int64 and timestamp(ns) fields, and quotes them when refused', () => {
    const spec = validateJob(
      {
        name: 'exact',
        topics: ['t'],
        schema: { id: t.int64(), ns: t.timestamp('ns'), price: t.float64() },
        sinks: [{ kind: 'parquet', path: '/tmp/unused' }],
      },
      'test',
    );
    const p = new RecordProcessor(spec);
    const ok = p.process(
      record('{"id":1541815603606036480,"ns":1764547200123456789,"price":12345678901234567890}'),
    );
    expect(ok.ok && ok.rows[0]?.values).toEqual([
      1541815603606036480n,
      1764547200123456789n,
      Number('12345678901234567890'),
    ]);
    const bad = p.process(record('{"id":9223372036854775808,"ns":1,"price":1}'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.bad.field).toBe('id');
      expect(bad.bad.reason).toContain('9223372036854775808');
    }
  });
});
