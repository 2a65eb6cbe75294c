import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { fileName, parseFileName, partitioner } from '../../../src/sinks/parquet/parquet-paths.ts';

const r = (row: Record<string, unknown>, timestamp = Date.UTC(2026, 10, 24, 13)) => ({
  row,
  values: [],
  topic: 't',
  partition: 0,
  offset: 0n,
  timestamp,
  seq: 0,
});

describe('Parquet paths', () => {
  it('names files with topic, partition and zero-padded offsets, and parses them back', () => {
    const name = fileName('clickstream', 3, 1000n, 2000n);
    expect(name).toBe('part-clickstream-3-00000000000000001000-00000000000000002000.parquet');
    expect(parseFileName(name)).toEqual({ topic: 'clickstream', partition: 3, begin: 1000n, end: 2000n });
    expect(parseFileName('part-my-topic-12-00000000000000000000-00000000000000000005.parquet')?.topic).toBe(
      'my-topic',
    );
    expect(parseFileName('_SUCCESS')).toBeUndefined();
  });

  it('derives Hive-style partition directories from a field or the Kafka timestamp', () => {
    const schema = { ts: t.timestamp('us'), country: t.utf8() };
    expect(partitioner(undefined, schema)(r({}))).toBe('');
    const byField = partitioner({ name: 'dt', field: 'ts', format: 'date' }, schema);
    // A schema timestamp is read from the checked values (microseconds here).
    expect(byField({ ...r({}), values: [BigInt(Date.UTC(2026, 10, 24, 23, 59, 59)) * 1000n, 'x'] })).toBe(
      'dt=2026-11-24',
    );
    expect(byField({ ...r({}), values: [null, 'x'] })).toBe('dt=__HIVE_DEFAULT_PARTITION__');
    // timestamp(ms) values are numbers when they are safe integers, else bigints (RowBatcher.coerce).
    const byMs = partitioner({ name: 'dt', field: 'ts', format: 'date' }, { ts: t.timestamp('ms') });
    const day = Date.UTC(2026, 10, 24);
    expect(byMs({ ...r({}), values: [day] })).toBe('dt=2026-11-24');
    expect(byMs({ ...r({}), values: [day + 86_399_999] })).toBe('dt=2026-11-24');
    expect(byMs({ ...r({}), values: [BigInt(day - 1)] })).toBe('dt=2026-11-23');
    expect(byMs({ ...r({}), values: [-1] })).toBe('dt=1969-12-31');
    expect(byMs({ ...r({}), values: [0] })).toBe('dt=1970-01-01');
    const byHour = partitioner({ name: 'h', field: 'other', format: 'hour' }, schema);
    expect(byHour(r({ other: 1764000000000 }))).toBe('h=2025-11-24-16');
    expect(byHour(r({ other: '2026-01-02T03:04:05Z' }))).toBe('h=2026-01-02-03');
    expect(byHour(r({}))).toBe('h=__HIVE_DEFAULT_PARTITION__');
    const byValue = partitioner({ name: 'c', field: 'country', format: 'value' }, schema);
    expect(byValue(r({ country: 'a/b' }))).toBe('c=a%2Fb');
    expect(byValue(r({ country: 'a/b' }))).toBe('c=a%2Fb');
    expect(byValue(r({ country: 'DE' }))).toBe('c=DE');
    expect(byValue(r({ country: 7 }))).toBe('c=7');
    expect(byValue(r({ country: '7' }))).toBe('c=7');
    expect(byValue(r({ country: null }))).toBe('c=__HIVE_DEFAULT_PARTITION__');
    expect(byValue(r({ country: 'DE' }))).toBe('c=DE');
    const byKafka = partitioner({ name: 'dt', kafkaTimestamp: true, format: 'date' }, schema);
    expect(byKafka(r({}))).toBe('dt=2026-11-24');
    expect(byKafka(r({}, Date.UTC(2026, 10, 25, 0, 0, 1)))).toBe('dt=2026-11-25');
  });
});
