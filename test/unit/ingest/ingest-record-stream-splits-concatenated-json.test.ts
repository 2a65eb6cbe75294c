import { describe, expect, it } from 'vitest';
import { splitRecordStream } from '../../../src/ingest/record-stream.ts';

describe('v3 record streams (concatenated JSON)', () => {
  it('splits records written back to back, on lines, or with whitespace between', () => {
    const items = splitRecordStream('{"a":1}{"b":"}{"}\n{"c":[1,{"d":2}]}  \t{"e":"\\"}"}');
    expect(items).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: true, value: { b: '}{' } },
      { ok: true, value: { c: [1, { d: 2 }] } },
      { ok: true, value: { e: '"}' } },
    ]);
  });

  it('reports a malformed record at its index and keeps reading the ones after it', () => {
    const items = splitRecordStream('{"a":1} {bad} {"c":3}');
    expect(items[0]).toEqual({ ok: true, value: { a: 1 } });
    expect(items[1]).toMatchObject({ ok: false, at: 8 });
    expect(items[2]).toEqual({ ok: true, value: { c: 3 } });
  });

  it('reports a record cut off by the end of the body', () => {
    const items = splitRecordStream('{"a":1}{"b":"unterminated}');
    expect(items).toHaveLength(2);
    expect(items[1]).toMatchObject({ ok: false });
    expect((items[1] as { reason: string }).reason).toMatch(/ends inside/);
  });

  it('gives no items for an empty or blank body, and reads bare scalars as records', () => {
    expect(splitRecordStream('')).toEqual([]);
    expect(splitRecordStream(' \n ')).toEqual([]);
    expect(splitRecordStream('1 true')).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: true },
    ]);
  });
});
