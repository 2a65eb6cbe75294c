import { describe, expect, it } from 'vitest';
import {
  defaultTable,
  eventTimeOf,
  groupValue,
  planAggregate,
} from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import type { JobSpec } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';

function job(aggregate: Record<string, unknown>, name = 'clicks'): JobSpec {
  return validateJob(
    {
      name,
      topics: ['t'],
      schema: {
        user: t.utf8(),
        page: t.utf8(),
        ts: t.timestamp('us'),
        amount: t.int64(),
        price: t.float64(),
        tags: t.list(t.utf8()),
      },
      sinks: [{ kind: 'parquet', path: '/tmp/x' }],
      aggregate,
    },
    'test',
  );
}

const base = { groupBy: ['page'], window: { size: '1m', slide: '20s' }, measures: { n: { op: 'count' } } };

function row(values: unknown[], timestamp = 0): SinkRow {
  return { row: {}, values, topic: 't', partition: 0, offset: 0n, timestamp, seq: 0 };
}

describe('aggregate plan', () => {
  it('resolves fields to row positions, with defaults for table, event time and slide', () => {
    const p = planAggregate(
      job({
        ...base,
        window: { size: '1m' },
        measures: { n: { op: 'count' }, total: { op: 'sum', field: 'amount' } },
      }),
    );
    expect(p.table).toBe('clicks_agg');
    expect(p.groupBy).toEqual([{ column: 'page', index: 1 }]);
    expect(p.eventTime).toEqual({ kind: 'kafka' });
    expect(p.window).toEqual({ size: 60_000, slide: 60_000 });
    expect(p.allowedLateness).toBe(60_000);
    expect(p.measures.map((m) => [m.name, m.op, m.index, m.kind])).toEqual([
      ['n', 'count', -1, 'int'],
      ['total', 'sum', 3, 'int'],
    ]);
  });

  it('folds job names into PostgreSQL identifiers', () => {
    expect(defaultTable('Click-Stream.v2')).toBe('click_stream_v2_agg');
    expect(defaultTable('2024-jobs')).toBe('_2024_jobs_agg');
  });

  it.each([
    [{ ...base, groupBy: ['nope'] }, /groupBy field 'nope' is not a schema field/],
    [{ ...base, groupBy: ['tags'] }, /is a list/],
    [{ ...base, measures: { s: { op: 'sum', field: 'user' } } }, /sum needs a numeric field/],
    [{ ...base, measures: { m: { op: 'max', field: 'tags' } } }, /max needs a scalar field/],
    [{ ...base, measures: {} }, /at least one measure/],
    [{ ...base, measures: { page: { op: 'count' } } }, /clashes/],
    [{ ...base, measures: { u: { op: 'countDistinct', field: 'user' }, u_set: { op: 'count' } } }, /clashes/],
    [{ ...base, groupBy: ['page'], measures: { window_start: { op: 'count' } } }, /clashes/],
    [{ ...base, window: { size: '10s', slide: '20s' } }, /must not exceed/],
    [{ ...base, eventTime: { field: 'tags' } }, /eventTime field 'tags'/],
  ])('reports a config error naming the mistake (%#)', (aggregate, message) => {
    expect(() => planAggregate(job(aggregate))).toThrow(message);
  });

  it('needs an aggregate section', () => {
    const spec = job(base);
    expect(() => planAggregate({ ...spec, aggregate: undefined })).toThrow(/no 'aggregate' section/);
  });

  it('reads event time from the Kafka timestamp or a field of any time-like type, in ms', () => {
    const p = planAggregate(job({ ...base, eventTime: { field: 'ts' } }));
    expect(eventTimeOf({ kind: 'kafka' }, row([], 1234))).toBe(1234);
    expect(eventTimeOf(p.eventTime, row(['u', '/', 1_700_000_000_123_999n]))).toBe(1_700_000_000_123);
    expect(eventTimeOf(p.eventTime, row(['u', '/', -1n]))).toBe(-1);
    // Checked timestamps in s or ms are plain numbers when they are safe integers (RowBatcher.coerce).
    const inMs = { kind: 'field' as const, field: 'ts', index: 0, type: t.timestamp('ms') };
    expect(eventTimeOf(inMs, row([1_700_000_000_123]))).toBe(1_700_000_000_123);
    expect(eventTimeOf(inMs, row([1_700_000_000_123n]))).toBe(1_700_000_000_123);
    const inS = { kind: 'field' as const, field: 'ts', index: 0, type: t.timestamp('s') };
    expect(eventTimeOf(inS, row([-2]))).toBe(-2000);
    expect(eventTimeOf(p.eventTime, row(['u', '/', -1]))).toBe(-1);
    expect(eventTimeOf(p.eventTime, row(['u', '/', null]))).toMatch(/is null/);
    const asText = { kind: 'field' as const, field: 'user', index: 0, type: t.utf8() };
    expect(eventTimeOf(asText, row(['2026-01-01T00:00:00.500Z']))).toBe(Date.UTC(2026, 0, 1) + 500);
    expect(eventTimeOf(asText, row(['yesterday']))).toMatch(/not a time/);
    const asNumber = { kind: 'field' as const, field: 'price', index: 0, type: t.float64() };
    expect(eventTimeOf(asNumber, row([1000.7]))).toBe(1000);
  });

  it('stores group values as text, null as the empty string', () => {
    expect(groupValue('a')).toBe('a');
    expect(groupValue(12n)).toBe('12');
    expect(groupValue(true)).toBe('true');
    expect(groupValue(null)).toBe('');
  });
});
