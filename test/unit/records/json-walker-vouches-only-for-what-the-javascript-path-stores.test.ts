// The columnar path's walker (records/json-walker.ts), by property: random mutations of demo events
// and of the awkward corpus (values swapped for awkward tokens, bytes dropped or inserted, keys
// repeated or recased) and random doubles in many spellings. Whatever the walker vouches for, the
// JavaScript path accepts and DuckDB's typed reader stores the very same values (read back from
// the Parquet); what it refuses the task gives to the JavaScript path, which is always correct.
import { describe, expect, it } from 'vitest';
import { clickEvent, rand } from '../../../src/demo/clickstream-events.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';
import { JsonWalker } from '../../../src/records/json-walker.ts';
import { typedFields } from '../../../src/sinks/parquet/columnar-plan.ts';
import { parquet } from '../../../src/sinks/sink-specs.ts';
import { AWKWARD, ORDINARY, record } from '../../helpers/awkward-json.ts';
import { columnar, javascript, type Rec } from '../../helpers/columnar-paths.ts';

const job = validateJob(
  {
    name: 'walker',
    topics: ['t'],
    schema: {
      event_id: t.utf8(),
      user_id: t.int64(),
      ts: t.timestamp('ms'),
      referrer: t.nullable(t.utf8()),
      country: t.utf8(),
      price: t.nullable(t.float64()),
      tags: t.list(t.utf8()),
      id: t.nullable(t.int64()),
      name: t.nullable(t.utf8()),
      n: t.nullable(t.int32()),
      ok: t.nullable(t.bool()),
      at: t.nullable(t.timestamp('s')),
      at_ns: t.nullable(t.timestamp('ns', null)),
      ids: t.nullable(t.list(t.int64())),
      xs: t.nullable(t.list(t.nullable(t.float64()))),
      part: t.int32(),
      off: t.int64(),
    },
    columns: { part: { kafka: 'partition' }, off: { kafka: 'offset' } },
    onBadRecord: 'skip',
    sinks: [parquet({ path: '/tmp/x', partitionBy: { name: 'dt', field: 'ts', format: 'date' } })],
  },
  'test',
);
const FIELDS = Object.keys(job.schema).filter((k) => k !== 'part' && k !== 'off');

const TOKENS = [
  'null',
  'true',
  'false',
  '0',
  '-0',
  '-0.0',
  '-0e3',
  '1',
  '-1',
  '01',
  '1.0',
  '1e2',
  '1E+2',
  '1.',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '12345678901234567',
  '123456789012345678',
  '9007199254740993',
  '1.7976931348623157e308',
  '1.7976931348623158e308',
  '1.8e308',
  '1e309',
  '5e-324',
  '2e-324',
  '2.4703282292062328e-324',
  '1e-400',
  '2.2250738585072011e-308',
  '0.1',
  '-0.30000000000000004',
  '123456789.123456789',
  '0.000001e-5',
  '100e-2',
  'NaN',
  'Infinity',
  '-Infinity',
  '"x"',
  '""',
  '"\\u00e9"',
  '"\\ud83d\\ude00"',
  '"\\ud800"',
  '"\\udc00x"',
  '"\\uFFFD"',
  '"\uFFFD"',
  '"a\\nb"',
  '"\\u0000"',
  '"tab\\tq\\"\\\\\\/"',
  '"123"',
  '"-123"',
  '"007"',
  '"-0"',
  '"0"',
  '"9223372036854775808"',
  '"-9223372036854775808"',
  '"1e3"',
  '"2026-11-24T10:00:00Z"',
  '"2026-11-24T10:00:00.1+05:30"',
  '"2026-11-24T10:00:00.123-23:59"',
  '"2026-11-24T10:00:00.1234Z"',
  '"2026-02-29T00:00:00Z"',
  '"2024-02-29T00:00:00Z"',
  '"1000-01-01T00:00:00Z"',
  '"1001-01-01T00:00:00+01:00"',
  '"9999-12-31T23:59:59.999Z"',
  '"1677-09-21T00:12:44Z"',
  '"2262-04-11T23:47:16.854Z"',
  '"2026-11-24 10:00:00Z"',
  '"2026-11-24T10:00:00"',
  '"2026-11-24T24:00:00Z"',
  '"2026-11-24T10:00:60Z"',
  '"2026-11-24T10:00:00.Z"',
  '"2026-11-24t10:00:00Z"',
  '1764000000123',
  '-1',
  '-30610224000001',
  '253402300799999',
  '9223372036855',
  '1764000000123.5',
  '17640000001230000',
  '[]',
  '["a"]',
  '["a",null]',
  '[1,"2",3]',
  '[1.5]',
  '[-0]',
  '[null]',
  '[1e308,null,-2.5]',
  '[1,]',
  '[[1]]',
  '{}',
  '{"a":1}',
  '{"a":1,"a":2}',
  '{"q":12345678901234567890,"q":1}',
];
const INSERTS = [' ', ',', ':', '{', '}', '[', ']', '"', '\\', '-', '0', '.', 'e', '\t', '\n', '\r', 'x'];

function mutate(base: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let s = base;
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const what = r();
    if (what < 0.45) {
      // A field's value replaced by a token (a read field or an unread one).
      const key = r() < 0.85 ? pick(FIELDS) : pick(['skip', 'Country', 'extra']);
      const token = pick(TOKENS);
      const re = new RegExp(`"${key}":(?:"(?:[^"\\\\]|\\\\.)*"|\\[[^\\]]*\\]|[^,}\\]]*)`);
      s = re.test(s) ? s.replace(re, `"${key}":${token}`) : s.replace(/^\{/, `{"${key}":${token},`);
    } else if (what < 0.6) {
      const i = Math.floor(r() * s.length);
      s = s.slice(0, i) + s.slice(i + 1);
    } else if (what < 0.75) {
      const i = Math.floor(r() * (s.length + 1));
      s = s.slice(0, i) + pick(INSERTS) + s.slice(i);
    } else if (what < 0.85) {
      // A field repeated (JSON.parse keeps the last).
      const key = pick(FIELDS);
      s = s.replace(/\}$/, `,"${key}":${pick(TOKENS)}}`);
    } else if (what < 0.95) {
      s = s.replace(/^\{/, `{"${pick(['skip', 'u', 'nested'])}":${pick(TOKENS)},`);
    } else s = s.replace(/\}$/, ',"long":12345678901234567890}');
  }
  return s;
}

/** Runs the vouched values through both paths, 100 at a time (one at a time where DuckDB refuses a batch). */
async function compare(values: string[]): Promise<number> {
  const walker = new JsonWalker(typedFields(job));
  const vouched: Rec[] = [];
  for (const [i, v] of values.entries()) {
    const b = Buffer.from(v);
    if (!walker.vouch(b, 0, b.length)) continue;
    const rec = record(b, BigInt(i));
    // What it vouches for, the JavaScript path takes.
    expect([v, javascript(job, [rec])]).not.toEqual([v, 'refused']);
    vouched.push(rec);
  }
  let taken = 0;
  for (let k = 0; k < vouched.length; k += 100) {
    const chunk = vouched.slice(k, k + 100);
    const col = await columnar(job, chunk);
    if (col !== 'declined') {
      expect(col).toEqual(javascript(job, chunk));
      taken += chunk.length;
      continue;
    }
    for (const rec of chunk) {
      const one = await columnar(job, [rec]);
      if (one === 'declined') continue;
      expect([rec.value?.toString(), one]).toEqual([rec.value?.toString(), javascript(job, [rec])]);
      taken++;
    }
  }
  return taken;
}

describe('the json walker', () => {
  it('vouches for mutated demo events and awkward values only where both paths store the same', async () => {
    const r = rand(17);
    const bases = [
      ...Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ ...clickEvent(i), id: i, n: i % 7, at: 1764000000000 + i }),
      ),
      ...[...ORDINARY, ...AWKWARD].map((s) =>
        s.replace(/^\{/, '{"event_id":"e","user_id":1,"ts":"2026-11-24T10:00:00Z","country":"US","tags":[],'),
      ),
    ];
    const values: string[] = [];
    for (let i = 0; i < 3000; i++) values.push(mutate(bases[i % bases.length]!, r));
    const taken = await compare(values);
    // The property holds over values it actually takes, not only over refusals.
    expect(taken).toBeGreaterThan(300);
  }, 120_000);

  it('declines a repeated key where the JavaScript path parses with lossless-json (16 digits in a row)', async () => {
    const head = '{"event_id":"e","user_id":1,"ts":"2026-11-24T10:00:00Z","country":"US","tags":[]';
    const refused = [
      `${head},"x":1,"x":2,"big":12345678901234567890}`,
      `${head},"x":"1234567890123456","x":2}`,
      `${head},"n":{"q":1,"q":2},"big":12345678901234567890}`,
      `${head},"x\u0031":1,"x1":2,"big":12345678901234567890}`,
    ];
    const walker = new JsonWalker(typedFields(job));
    for (const v of refused) {
      expect([v, javascript(job, [record(Buffer.from(v), 0n)])]).toEqual([v, 'refused']);
      expect([v, walker.vouch(Buffer.from(v), 0, Buffer.byteLength(v))]).toEqual([v, false]);
    }
    // Without a 16-digit run JSON.parse keeps the last: taken, and so is a flat value with a long run.
    const taken = [`${head},"x":1,"x":2}`, `${head},"big":12345678901234567890,"y":[1]}`];
    expect(await compare(taken)).toBe(taken.length);
  });

  it('reads doubles as JSON.parse does, in every spelling', async () => {
    const r = rand(23);
    const spellings: string[] = [];
    for (let i = 0; i < 600; i++) {
      const bits = new DataView(new ArrayBuffer(8));
      bits.setUint32(0, Math.floor(r() * 2 ** 32));
      bits.setUint32(4, Math.floor(r() * 2 ** 32));
      const x = r() < 0.7 ? bits.getFloat64(0) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
      if (!Number.isFinite(x)) continue;
      spellings.push(
        String(x),
        x.toExponential(Math.floor(r() * 20)),
        x.toPrecision(1 + Math.floor(r() * 21)),
      );
      const digits = Array.from({ length: 1 + Math.floor(r() * 20) }, () => Math.floor(r() * 10)).join('');
      spellings.push(
        `${digits}e${Math.floor(r() * 700 - 350)}`,
        `0.${digits}`,
        digits.replace(/^0+(?=\d)/, ''),
      );
    }
    const values = spellings.map(
      (s) =>
        `{"event_id":"e","user_id":1,"ts":"2026-11-24T10:00:00Z","country":"US","tags":[],"price":${s},"xs":[${s}]}`,
    );
    const taken = await compare(values);
    expect(taken).toBeGreaterThan(values.length * 0.8);
  }, 120_000);
});
