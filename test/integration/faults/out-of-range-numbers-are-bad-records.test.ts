// A number a field's type cannot hold (a timestamp beyond its unit's range, int32 or int64 overflow)
// goes to the bad-record policy naming the field and the value as given, instead of being written
// wrapped: `timestamp('ms')` given 1e20, `timestamp('ns')` given years 2300 and 1500.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { produce } from '../../helpers/kafka.ts';
import { deadLetters, parquetRows, TYPED_JOB, typedFixture } from './typed-values-fixture.ts';

const GOOD = [
  '{"id":1,"n32":2147483647,"n64":"9223372036854775807","at_ms":"2026-11-24T10:00:00Z","at_ns":"2262-04-11T23:47:16.854Z"}',
  '{"id":2,"n32":-2147483648,"n64":"-9223372036854775808","at_ms":-8640000000000000,"at_ns":"1677-09-21T00:12:43.146Z"}',
];
const BAD = [
  ['{"id":3,"at_ms":1e20}', 'at_ms', 'got number 100000000000000000000, out of range for timestamp(ms, UTC)'],
  [
    '{"id":4,"at_ns":"2300-01-01T00:00:00Z"}',
    'at_ns',
    'got string "2300-01-01T00:00:00Z", out of range for timestamp(ns, UTC)',
  ],
  [
    '{"id":5,"at_ns":"1500-06-01T00:00:00Z"}',
    'at_ns',
    'got string "1500-06-01T00:00:00Z", out of range for timestamp(ns, UTC)',
  ],
  ['{"id":6,"n32":2147483648}', 'n32', 'got number 2147483648, out of range for int32'],
  ['{"id":7,"n64":"9223372036854775808"}', 'n64', 'got string "9223372036854775808", out of range for int64'],
] as const;

describe('out-of-range numbers', () => {
  it('go to the dead letter with field and value; the rest is written exactly', async () => {
    const f = await typedFixture();
    await produce(
      f.topic,
      [...GOOD, ...BAD.map(([v]) => v)].map((value) => ({ value })),
    );
    const r = await cli(['run', TYPED_JOB], f.env);
    expect(r.code, r.stderr).toBe(0);
    const dead = deadLetters(f);
    expect(dead.map((d) => d['field'])).toEqual(BAD.map(([, field]) => field));
    dead.forEach((d, i) => {
      expect(d['stage']).toBe('schema');
      expect(d['error']).toContain(`'${BAD[i]![1]}' ${BAD[i]![2]}`);
      expect(Buffer.from(d['value']!, 'base64').toString()).toBe(BAD[i]![0]);
    });
    expect(await parquetRows(f)).toEqual([
      {
        id: '1',
        n32: 2147483647,
        n64: '9223372036854775807',
        at_ms: String(Date.UTC(2026, 10, 24, 10)),
        at_ns: '9223372036854000000',
        name: null,
      },
      {
        id: '2',
        n32: -2147483648,
        n64: '-9223372036854775808',
        at_ms: '-8640000000000000',
        at_ns: '-9223372036854000000',
        name: null,
      },
    ]);
  });

  it("under 'fail' the error names the record, the field and the value", async () => {
    const f = await typedFixture();
    delete f.env['KRANGE_TEST_DL'];
    await produce(f.topic, [{ value: GOOD[0]! }, { value: BAD[0][0] }]);
    const r = await cli(['run', TYPED_JOB], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f.topic}[0]@1`);
    expect(r.stderr).toContain("'at_ms' got number 100000000000000000000, out of range");
  });
});
