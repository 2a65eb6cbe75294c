import { describe, expect, it } from 'vitest';
import { parseV2Body, parseV3Record } from '../../../src/ingest/record-formats.ts';

describe('v3 records', () => {
  it('encodes JSON (the default), STRING and BINARY data, headers and the timestamp', () => {
    const r = parseV3Record(
      {
        partition_id: 1,
        headers: [{ name: 'h', value: Buffer.from('v').toString('base64') }],
        key: { type: 'STRING', data: 'k1' },
        value: { data: { a: 1 } },
        timestamp: '2021-02-05T19:14:42Z',
      },
      0,
      't',
      5,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rec.partition).toBe(1);
    expect(r.rec.key?.toString()).toBe('k1');
    expect(r.rec.value?.toString()).toBe('{"a":1}');
    expect(r.rec.headers?.['h']?.toString()).toBe('v');
    expect(r.rec.timestamp).toBe(Date.parse('2021-02-05T19:14:42Z'));
    expect(r.value).toEqual({ type: 'JSON', size: 7 });
    const bin = parseV3Record({ value: { type: 'BINARY', data: 'aGVsbG8=' } }, 0, 't', 5);
    expect(bin.ok && bin.rec.value?.toString()).toBe('hello');
    const none = parseV3Record({}, 0, 't', 5);
    expect(none.ok && none.rec.value).toBe(null);
  });

  it('names the record index and the field of every problem', () => {
    const cases: [unknown, string][] = [
      [[1], '(record)'],
      [{ partition_id: -1 }, 'partition_id'],
      [{ partition_id: 1.5 }, 'partition_id'],
      [{ timestamp: 'yesterday' }, 'timestamp'],
      [{ headers: {} }, 'headers'],
      [{ headers: [{ name: '' }] }, 'headers[0].name'],
      [{ headers: [{ name: 'h', value: '!!' }] }, 'headers[0].value'],
      [{ key: 'bare' }, 'key'],
      [{ value: { type: 'AVRO', data: 1 } }, 'value.type'],
      [{ value: { type: 'BINARY', data: 'not base64!' } }, 'value.data'],
      [{ value: { type: 'STRING', data: 3 } }, 'value.data'],
      [{ value: { type: 'STRING' } }, 'value.data'],
      [{ value: { schema_id: 3, data: 1 } }, 'value.schema_id'],
    ];
    for (const [raw, field] of cases) {
      const r = parseV3Record(raw, 7, 't', 0);
      expect(r.ok, JSON.stringify(raw)).toBe(false);
      if (!r.ok) expect(r.problem).toMatchObject({ index: 7, field, status: 400 });
    }
  });
});

describe('v2 bodies', () => {
  it('reads json and binary records with partitions', () => {
    const j = parseV2Body(
      {
        records: [
          { key: 'k', value: { a: 1 } },
          { value: 2, partition: 0 },
        ],
      },
      'json',
      't',
      0,
    );
    expect(j.ok).toBe(true);
    if (j.ok) {
      expect(j.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.partition])).toEqual([
        ['"k"', '{"a":1}', undefined],
        [null, '2', 0],
      ]);
    }
    const b = parseV2Body({ records: [{ value: 'aGk=' }] }, 'binary', 't', 0);
    expect(b.ok && b.records[0]?.value?.toString()).toBe('hi');
  });

  it('refuses a body that is not {records: [...]}, and lists every bad record by index and field', () => {
    expect(parseV2Body([], 'json', 't', 0)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/records/),
    });
    expect(parseV2Body({ records: 3 }, 'json', 't', 0)).toMatchObject({ ok: false });
    expect(parseV2Body({ value_schema: '{}', records: [] }, 'json', 't', 0)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/value_schema/),
    });
    const r = parseV2Body(
      { records: [{ value: 'aGk=' }, { value: '%%' }, 5, { partition: 'x' }] },
      'binary',
      't',
      0,
    );
    expect(r).toMatchObject({
      ok: false,
      problems: [
        { index: 1, field: 'records[1].value' },
        { index: 2, field: 'records[2]' },
        { index: 3, field: 'records[3].partition' },
      ],
    });
  });
});
