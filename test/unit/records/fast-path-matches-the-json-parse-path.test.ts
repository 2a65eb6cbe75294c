// The columnar fast path (fields read straight from the bytes) and the JSON.parse path give the same
// rows and the same bad records, message for message, on a corpus of awkward records: unicode,
// escapes, nulls, exponents, int64 edges, nested lists and objects, missing and duplicate fields,
// malformed JSON and invalid UTF-8. And the fast path really takes the ordinary ones.
import { describe, expect, it } from 'vitest';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';
import { DECLINE, FastPath } from '../../../src/records/fast-path.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';
import { parquet } from '../../../src/sinks/sink-specs.ts';
import { awkwardJob, AWKWARD_BYTES as BYTES, ORDINARY, record } from '../../helpers/awkward-json.ts';

const spec = awkwardJob(parquet({ path: '/tmp/x' }));

/** A processor with the scanner on (KRANGE_FAST_PATH=1) or off. */
function processor(fast: boolean): RecordProcessor {
  const before = process.env['KRANGE_FAST_PATH'];
  process.env['KRANGE_FAST_PATH'] = fast ? '1' : '0';
  try {
    return new RecordProcessor(spec);
  } finally {
    if (before === undefined) delete process.env['KRANGE_FAST_PATH'];
    else process.env['KRANGE_FAST_PATH'] = before;
  }
}

const outcome = (p: RecordProcessor, value: Buffer | null, offset: bigint) => {
  const res = p.process(record(value, offset));
  return res.ok
    ? { rows: res.rows.map((r) => ({ row: r.row, values: r.values, seq: r.seq, offset: r.offset })) }
    : { bad: { ...res.bad, value: res.bad.value?.toString('hex') } };
};

describe('fast path', () => {
  it('gives the same rows and bad records as the JSON.parse path', () => {
    const fast = processor(true);
    const slow = processor(false);
    [...BYTES, null].forEach((b, i) => {
      const offset = BigInt(1000 + i);
      expect([b?.toString('hex'), outcome(fast, b, offset)]).toEqual([
        b?.toString('hex'),
        outcome(slow, b, offset),
      ]);
    });
  });

  it('reads the ordinary records itself (declines only what it does not handle exactly)', () => {
    const fp = new FastPath(spec);
    for (const s of ORDINARY)
      expect([s, fp.extract(record(Buffer.from(s), 1n), '1') === DECLINE]).toEqual([s, false]);
    for (const s of ['{"id":1,}', '{"id":12345678901234567890}', '{"id":1,"name":{"a":1}}', '[1]'])
      expect(fp.extract(record(Buffer.from(s), 1n), '1')).toBe(DECLINE);
  });
});

describe('where', () => {
  const filtered = validateJob(
    {
      name: 'filtered',
      topics: ['t'],
      schema: { id: t.int64(), country: t.utf8(), referrer: t.nullable(t.utf8()), part: t.int32() },
      columns: { part: { kafka: 'partition' } },
      where: { country: { in: ['US', 'DE'] }, referrer: { not: null }, part: 3 },
      sinks: [parquet({ path: '/tmp/x' })],
    },
    'test',
  );
  const values = [
    '{"id":1,"country":"US","referrer":"r"}',
    '{"id":2,"country":"FR","referrer":"r"}',
    '{"id":3,"country":"DE","referrer":null}',
    '{"id":4,"country":"DE"}',
    '{"id":5,"country":"DE","referrer":"x","extra":[1]}',
    '{"id":6,"country":7,"referrer":"x"}',
  ];

  it('keeps only the records every condition holds for, on both paths alike', () => {
    const before = process.env['KRANGE_FAST_PATH'];
    process.env['KRANGE_FAST_PATH'] = '1';
    const fast = new RecordProcessor(filtered);
    process.env['KRANGE_FAST_PATH'] = '0';
    const slow = new RecordProcessor(filtered);
    if (before === undefined) delete process.env['KRANGE_FAST_PATH'];
    else process.env['KRANGE_FAST_PATH'] = before;
    const kept = (p: RecordProcessor) =>
      values.map((v, i) => {
        const res = p.process(record(Buffer.from(v), BigInt(i)));
        return res.ok ? res.rows.map((r) => r.values) : res.bad.reason;
      });
    expect(kept(fast)).toEqual(kept(slow));
    expect(kept(slow)).toEqual([[[1, 'US', 'r', 3]], [], [], [], [[5, 'DE', 'x', 3]], []]);
  });

  it('is refused beside a JavaScript transform, and must name schema fields', () => {
    expect(() =>
      validateJob(
        {
          name: 'bad',
          topics: ['t'],
          schema: { id: t.int64() },
          transform: (r: { value: unknown }) => r.value as Record<string, unknown>,
          where: { idd: 1 },
          sinks: [parquet({ path: '/tmp/x' })],
        },
        'test',
      ),
    ).toThrow(
      /where: a job with a JavaScript `transform`[\s\S]*where\.idd: filter field 'idd' is not in the schema/,
    );
  });
});
