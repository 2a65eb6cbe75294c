import { describe, expect, it } from 'vitest';
import { fileName, parseFileName, partitionDir } from '../../src/sinks/parquet-paths.ts';

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
    expect(partitionDir(undefined, r({}))).toBe('');
    expect(partitionDir({ name: 'dt', field: 'ts', format: 'date' }, r({ ts: '2026-11-24T23:59:59Z' }))).toBe(
      'dt=2026-11-24',
    );
    expect(partitionDir({ name: 'h', field: 'ts', format: 'hour' }, r({ ts: 1764000000000 }))).toBe(
      'h=2025-11-24-16',
    );
    expect(partitionDir({ name: 'c', field: 'country', format: 'value' }, r({ country: 'a/b' }))).toBe(
      'c=a%2Fb',
    );
    expect(partitionDir({ name: 'dt', field: 'ts', format: 'date' }, r({}))).toBe(
      'dt=__HIVE_DEFAULT_PARTITION__',
    );
    expect(partitionDir({ name: 'dt', kafkaTimestamp: true, format: 'date' }, r({}))).toBe('dt=2026-11-24');
  });
});
