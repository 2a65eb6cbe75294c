// The three key shapes and two value shapes of aggregate.emit, built by PostgreSQL from a real
// window table (created by krange's own DDL): valid JSON, times in ISO UTC, sums exact.
import { afterAll, describe, expect, it } from 'vitest';
import { emitRecordSql } from '../../../src/aggregator/emit-sql.ts';
import { createTableSql } from '../../../src/aggregator/table-sql.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';
import { sql } from '../../helpers/aggregator.ts';
import { uniqueName } from '../../helpers/kafka.ts';

const name = uniqueName('emitshape').replace('-', '_');
const spec = validateJob(
  {
    name,
    topics: ['t'],
    schema: { page: t.utf8(), ts: t.timestamp('ms'), price: t.float64(), n: t.int64() },
    sinks: [{ kind: 'parquet', path: '/tmp/x' }],
    aggregate: {
      groupBy: ['page'],
      eventTime: { field: 'ts' },
      window: { size: '1m' },
      measures: {
        clicks: { op: 'count' },
        total: { op: 'sum', field: 'n' },
        first: { op: 'min', field: 'ts' },
        users: { op: 'countDistinct', field: 'page' },
      },
      emit: { topic: 'out' },
    },
  },
  'test',
);
const plan = planAggregate(spec);

afterAll(async () => {
  await sql(`DROP TABLE IF EXISTS "${plan.table}"`);
});

describe('aggregate.emit record shapes', () => {
  it('builds every key and value shape from a real window table', async () => {
    await sql(createTableSql(plan));
    await sql(
      `INSERT INTO "${plan.table}" (window_start, window_end, page, clicks, total, first, users, users_set)
       VALUES ('2026-01-01T12:00:00Z', '2026-01-01T12:01:00Z', '/a "q"', 3, 123456789012345678901234, '2026-01-01T12:00:01.5Z', 2, '{x,y}')`,
    );
    const emit = spec.aggregate!.emit!;
    const read = async (key: 'groupBy' | 'window' | 'none', value: 'flat' | 'nested') => {
      const e = emitRecordSql(plan, { ...emit, key, value });
      const [r] = await sql<{ k: string | null; v: string }>(
        `SELECT ${e.key} AS k, ${e.value} AS v FROM "${plan.table}" t`,
      );
      return { key: r?.k === null ? null : JSON.parse(r?.k ?? 'null'), value: r?.v ?? '' };
    };
    const flat = await read('groupBy', 'flat');
    expect(flat.key).toEqual({ page: '/a "q"' });
    expect(JSON.parse(flat.value)).toEqual({
      window_start: '2026-01-01T12:00:00.000Z',
      window_end: '2026-01-01T12:01:00.000Z',
      page: '/a "q"',
      clicks: 3,
      total: Number('123456789012345678901234'),
      first: '2026-01-01T12:00:01.500000Z',
      users: 2,
    });
    // The sum's digits are exact in the record's text (JSON.parse above rounds them).
    expect(flat.value).toContain('"total" : 123456789012345678901234');
    expect((await read('window', 'flat')).key).toEqual({
      window_start: '2026-01-01T12:00:00.000Z',
      page: '/a "q"',
    });
    const nested = await read('none', 'nested');
    expect(nested.key).toBeNull();
    expect(JSON.parse(nested.value)).toEqual({
      window: { start: '2026-01-01T12:00:00.000Z', end: '2026-01-01T12:01:00.000Z' },
      group: { page: '/a "q"' },
      measures: {
        clicks: 3,
        total: Number('123456789012345678901234'),
        first: '2026-01-01T12:00:01.500000Z',
        users: 2,
      },
    });
  });
});
