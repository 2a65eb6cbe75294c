// A corpus of awkward JSON record values for the tests that compare the record paths (the
// JSON.parse path, the byte scanner, the columnar path): unicode, escapes, nulls, exponents, int64
// edges, nested lists and objects, missing and duplicate fields, malformed JSON, invalid UTF-8; and
// the declarative job two of them read it with (awkwardJob).
import { validateJob } from '../../src/job/job-loader.ts';
import type { JobSpec } from '../../src/job/job-spec.ts';
import { t } from '../../src/job/schema.ts';
import type { parquet } from '../../src/sinks/sink-specs.ts';

/** Values both paths accept (or refuse) in ordinary ways: the scanner and DuckDB read them themselves. */
export const ORDINARY = [
  '{"id":1,"name":"plain","price":12.5,"n":3,"ok":true,"at":"2026-11-24T10:00:00.123Z","tags":["a","b"],"user_name":"u"}',
  '{"id":2,"name":"héllo wörld ✓ 日本 😀","tags":[]}',
  ' { "id" : -3 , "price" : -0 , "n" : 0 , "at" : 1764000000000 } ',
  '{"id":4,"price":1e3,"n":-2147483648}',
  '{"id":5,"price":1.7976931348623157e308,"at":-1}',
  '{"id":6,"price":5e-324,"ok":false,"name":null,"tags":null}',
  '{"id":999999999999999,"price":0.1}',
  '{"id":"9223372036854775807"}',
  '{"id":"-9223372036854775808","skip":{"deep":[1,{"x":[true,null,"\\u00e9"]}],"e":1E+2}}',
  '{"id":7,"id":8}',
  '{"id":9,"unknown":12345678901234567890123}',
  '{"id":10,"tags":["x", "y" ,"z"],"ignored":"\\"quoted\\""}',
  '{"id":11,"name":"tab\\tnew\\nline \\u2603 \\ud83d\\ude00"}',
  '{"id":12,"user_name":"ü"}',
  '{}',
];
/** Values one parser or another could read differently: malformed, out of range, odd shapes. */
export const AWKWARD = [
  '{"id":2147483648,"n":2147483648}',
  '{"id":1.5}',
  '{"id":1e2}',
  '{"id":12345678901234567890}',
  '{"id":9007199254740993}',
  '{"id":"12a"}',
  '{"id":1,"at":1e20}',
  '{"id":1,"name":5}',
  '{"id":1,"name":{"a":1}}',
  '{"id":1,"tags":[["nested"]]}',
  '{"id":1,"tags":[1,2]}',
  '{"id":1,"tags":"x"}',
  '{"id":1,"ok":"true"}',
  '{"id":null}',
  '{"id":01}',
  '{"id":1,}',
  '{"id":1',
  '{"id":1}x',
  '{"id":1,"name":"a\\x"}',
  '{"id":1,"name":"raw\ttab"}',
  '[{"id":1}]',
  '"string"',
  'null',
  '',
  '\uFEFF{"id":1}',
  '{"id":-}',
  '{"id":1.}',
  '{"id":1,"skip":[1,2,]}',
  '{"id":1,"skip":{"a":}}',
  '{"id":1,"skip":"\\u12"}',
  '{"constructor":1,"id":1}',
  '{"id":13,"price":-0}',
  '{"id":14,"price":-0.0,"n":-0}',
  '{"id":15,"at":"2026-11-24T10:00:00.5+02:00"}',
  '{"id":16,"at":"2026-02-30T10:00:00Z"}',
  '{"id":17,"at":"2026-11-24T10:00:00.123456Z"}',
  '{"id":18,"at":"2026-11-24"}',
  '{"id":19,"at":"1969-12-31T23:59:59.999Z"}',
  '{"id":20,"at":"2026-11-24T23:30:00-05:00"}',
  '{"id":21,"price":123456789012345678901234567890}',
  '{"id":22,"price":9007199254740993}',
  '{"id":23,"price":NaN}',
  '{"id":24,"tags":["a",null]}',
  '{"id":25,"name":"\\u0000 \\/ \\" \\\\"}',
  '{"id":"0009"}',
  '{"id":"+5"}',
  '{"id":" 5"}',
  '{"id":-9223372036854775808}',
  '{"id":9223372036854775807}',
  '{"id":9223372036854775808}',
  '{"id":26,"ok":1}',
  '{"id":27,"n":1.0}',
  '{"id":28,"user_name":["x"]}',
  '{"ID":29,"id":29}',
];
/** Both lists as bytes, and values that are not valid UTF-8. */
export const AWKWARD_BYTES: Buffer[] = [
  ...ORDINARY.map((s) => Buffer.from(s)),
  ...AWKWARD.map((s) => Buffer.from(s)),
  Buffer.concat([Buffer.from('{"id":1,"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
  Buffer.concat([Buffer.from('{"id":1,"skip":"'), Buffer.from([0xff]), Buffer.from('","name":"ok"}')]),
  Buffer.from('{"id":1,"name":"\uFFFD"}'),
];

/** A record as the range reader gives it: the value inside a larger fetch buffer. */
export function record(value: Buffer | null, offset: bigint) {
  // As the range reader gives them: the value inside a larger fetch buffer.
  const buf = Buffer.concat([Buffer.from('xx'), value ?? Buffer.alloc(0), Buffer.from('yy')]);
  return {
    topic: 't',
    partition: 3,
    offset,
    timestamp: 1_700_000_000_000,
    key: null,
    headers: {},
    buf,
    valueStart: 2,
    valueLength: value === null ? -1 : value.length,
    get value() {
      return value;
    },
  };
}

/**
 * The declarative job the paths read the corpus with: a field of every kind, two from the record's
 * Kafka metadata and one renamed (`user` from `user_name`), bad records skipped; `sink` is its one
 * Parquet sink.
 */
export function awkwardJob(sink: ReturnType<typeof parquet>): JobSpec {
  return validateJob(
    {
      name: 'awkward',
      topics: ['t'],
      schema: {
        id: t.int64(),
        name: t.nullable(t.utf8()),
        price: t.nullable(t.float64()),
        n: t.nullable(t.int32()),
        ok: t.nullable(t.bool()),
        at: t.nullable(t.timestamp('ms')),
        tags: t.nullable(t.list(t.utf8())),
        part: t.int32(),
        off: t.int64(),
        user: t.nullable(t.utf8()),
      },
      columns: { part: { kafka: 'partition' }, off: { kafka: 'offset' }, user: 'user_name' },
      onBadRecord: 'skip',
      sinks: [sink],
    },
    'test',
  );
}
