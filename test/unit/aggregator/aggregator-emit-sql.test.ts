import { describe, expect, it } from 'vitest';
import { emitRecordSql, recordClosedSql } from '../../../src/aggregator/emit-sql.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import type { JobSpec } from '../../../src/job/job-spec.ts';
import { t } from '../../../src/job/schema.ts';

function job(emit: Record<string, unknown> | undefined): JobSpec {
  return validateJob(
    {
      name: 'clicks',
      topics: ['t'],
      schema: { page: t.utf8(), country: t.utf8(), ts: t.timestamp('ms'), price: t.float64() },
      sinks: [{ kind: 'parquet', path: '/tmp/x' }],
      aggregate: {
        groupBy: ['page', 'country'],
        eventTime: { field: 'ts' },
        window: { size: '1m' },
        measures: {
          n: { op: 'count' },
          first: { op: 'min', field: 'ts' },
          revenue: { op: 'sum', field: 'price' },
        },
        ...(emit === undefined ? {} : { emit }),
      },
    },
    'test',
  );
}

describe('aggregate.emit options and SQL', () => {
  it('defaults: key of the group-by values, flat value, no compression, 60 s transactions', () => {
    expect(job({ topic: 'out' }).aggregate?.emit).toEqual({
      topic: 'out',
      key: 'groupBy',
      value: 'flat',
      compression: 'none',
      transactionTimeout: 60_000,
    });
  });

  it('refuses a misspelled option, an unknown shape and an empty topic', () => {
    expect(() => job({ topic: 'out', compresion: 'zstd' })).toThrow(/compresion/);
    expect(() => job({ topic: 'out', key: 'user' })).toThrow(/key/);
    expect(() => job({ topic: '' })).toThrow(/topic/);
  });

  it('builds keys and values in PostgreSQL: times as ISO UTC, measures by name', () => {
    const spec = job({ topic: 'out' });
    const plan = planAggregate(spec);
    const flat = emitRecordSql(plan, spec.aggregate!.emit!);
    expect(flat.key).toBe(`json_build_object('page', t."page", 'country', t."country")::text`);
    expect(flat.value).toContain(`'window_start', to_char(t.window_start AT TIME ZONE 'UTC'`);
    expect(flat.value).toContain(
      `'first', to_char(t."first" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    );
    expect(flat.value).toContain(`'revenue', t."revenue"`);
    const none = emitRecordSql(plan, { ...spec.aggregate!.emit!, key: 'none', value: 'nested' });
    expect(none.key).toBe('NULL::text');
    expect(none.value).toMatch(
      /^json_build_object\('window', json_build_object\('start'.*'group', .*'measures', /,
    );
    const win = emitRecordSql(plan, { ...spec.aggregate!.emit!, key: 'window' });
    expect(win.key).toMatch(
      /^json_build_object\('window_start', .*'page', t\."page", 'country', t\."country"\)::text$/,
    );
  });

  it('selects closed windows by their start (the key), numbered in (start, groups) order', () => {
    const spec = job({ topic: 'out' });
    const sql = recordClosedSql(planAggregate(spec), spec.aggregate!.emit!);
    expect(sql).toContain(
      `($4::bigint IS NULL OR t.window_start > 'epoch'::timestamptz + ($4::bigint - 60000)`,
    );
    expect(sql).toContain(`t.window_start <= 'epoch'::timestamptz + ($5::bigint - 60000)`);
    expect(sql).toContain('ORDER BY t.window_start, t."page" COLLATE "C", t."country" COLLATE "C"');
  });
});
