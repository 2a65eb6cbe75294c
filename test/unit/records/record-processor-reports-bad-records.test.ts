import { describe, expect, it } from 'vitest';
import { validateJob } from '../../../src/job/job-loader.ts';
import type { DecodedRecord } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';
import { parquet } from '../../../src/sinks/sink-specs.ts';

const job = validateJob(
  {
    name: 'j',
    topics: ['t'],
    schema: { id: t.int64(), tag: t.utf8() },
    transform: (r: { value: { id: number; tag?: string; many?: number } }) => {
      if (r.value.id < 0) throw new Error('negative id');
      if (r.value.many) return Array.from({ length: r.value.many }, (_, i) => ({ id: i, tag: 'm' }));
      return { id: r.value.id, tag: r.value.tag };
    },
    sinks: [parquet({ path: '/tmp/x' })],
  },
  'test',
);
const rec = (value: string | null, offset = 5n) => ({
  topic: 't',
  partition: 2,
  offset,
  timestamp: 0,
  key: null,
  value: value === null ? null : Buffer.from(value),
  headers: {},
});

describe('RecordProcessor', () => {
  const p = new RecordProcessor(job);

  it('turns a record into rows with their coordinates', () => {
    const res = p.process(rec('{"id":1,"tag":"a"}'));
    expect(res.ok).toBe(true);
    if (res.ok) expect(res.rows.map((r) => [r.offset, r.seq, r.values])).toEqual([[5n, 0, [1, 'a']]]);
    const far = p.process(rec('{"id":1,"tag":"a"}', 2n ** 63n - 1n));
    expect(far.ok && far.rows.map((r) => r.offset)).toEqual([2n ** 63n - 1n]);
    const many = p.process(rec('{"id":1,"many":3}'));
    expect(many.ok && many.rows.map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it('hands the transform the coordinates, key, value and headers, and keeps multi-row output whole', () => {
    const seen: unknown[] = [];
    const keyed = new RecordProcessor(
      validateJob(
        {
          name: 'k',
          topics: ['t'],
          schema: { id: t.int64(), tag: t.utf8() },
          transform: (r: DecodedRecord<{ id: number; rows?: number }>) => {
            const { key, ...rest } = r;
            seen.push({ key: key?.toString(), ...rest });
            // A second row that does not fit the schema: the record fails whole, no rows leak.
            if (r.value.rows) return [{ id: 1, tag: 'ok' }, { id: 2 }];
            return { id: r.value.id, tag: r.key?.toString() ?? 'none' };
          },
          sinks: [parquet({ path: '/tmp/x' })],
        },
        'test',
      ),
    );
    const out: SinkRow[] = [];
    expect(keyed.processInto({ ...rec('{"id":3}'), key: Buffer.from('user-9') }, out)).toBeUndefined();
    expect(out.map((r) => r.values)).toEqual([[3, 'user-9']]);
    expect(seen[0]).toEqual({
      key: 'user-9',
      topic: 't',
      partition: 2,
      offset: '5',
      timestamp: 0,
      value: { id: 3 },
      headers: {},
    });
    expect(keyed.processInto(rec('{"id":4,"rows":2}'), out)).toMatchObject({ stage: 'schema', field: 'tag' });
    expect(out).toHaveLength(1);
  });

  it('names the stage, offset, field and reason of a bad record', () => {
    const undecodable = p.process(rec('{nope', 7n));
    expect(undecodable).toMatchObject({ ok: false, bad: { stage: 'decode', offset: '7', partition: 2 } });
    const threw = p.process(rec('{"id":-1,"tag":"a"}'));
    expect(threw).toMatchObject({
      ok: false,
      bad: { stage: 'transform', reason: 'transform threw: negative id' },
    });
    const misfit = p.process(rec('{"id":1}'));
    expect(misfit).toMatchObject({ ok: false, bad: { stage: 'schema', field: 'tag' } });
  });
});

describe('validateJob', () => {
  it('lists every problem with its path', () => {
    expect(() =>
      validateJob({ name: 'bad name', topics: [], schema: {}, sinks: [] }, 'jobs/x.ts'),
    ).toThrowError(/invalid job in jobs\/x.ts:[\s\S]*name[\s\S]*topics[\s\S]*sinks/);
  });
});

describe('invalid UTF-8 in a utf8 field', () => {
  const spec = (invalidUtf8?: 'replace') =>
    validateJob(
      {
        name: 'u',
        topics: ['t'],
        schema: { id: t.int64(), name: t.utf8(), tags: t.list(t.utf8()) },
        ...(invalidUtf8 === undefined ? {} : { invalidUtf8 }),
        sinks: [parquet({ path: '/tmp/x' })],
      },
      'test',
    );
  const raw = (bytes: Buffer) => ({ ...rec(null), value: bytes });
  const invalid = Buffer.concat([
    Buffer.from('{"id":1,"name":"a'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('","tags":[]}'),
  ]);
  const invalidInList = Buffer.concat([
    Buffer.from('{"id":1,"name":"a","tags":["x'),
    Buffer.from([0xc3]),
    Buffer.from('"]}'),
  ]);

  it('is a bad record naming the field, with the raw bytes', () => {
    const res = new RecordProcessor(spec()).process(raw(invalid));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.bad).toMatchObject({ stage: 'schema', field: 'name' });
    expect(res.bad.reason).toMatch(
      /^value does not fit the schema: 'name' holds bytes that are not valid UTF-8/,
    );
    expect(res.bad.value?.equals(invalid)).toBe(true);
    const inList = new RecordProcessor(spec()).process(raw(invalidInList));
    expect(!inList.ok && inList.bad.field).toBe('tags[]');
  });

  it('keeps a real U+FFFD in valid UTF-8, and replaces when the job opts in', () => {
    const legit = new RecordProcessor(spec()).process(
      raw(Buffer.from('{"id":1,"name":"a\uFFFD","tags":[]}')),
    );
    expect(legit.ok && legit.rows[0]?.values[1]).toBe('a\uFFFD');
    const replaced = new RecordProcessor(spec('replace')).process(raw(invalid));
    expect(replaced.ok && replaced.rows[0]?.values[1]).toBe('a\uFFFD\uFFFD');
  });
});
