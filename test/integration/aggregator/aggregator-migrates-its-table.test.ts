// The aggregator creates its tables, adds columns for measures added later (rows already there keep
// their values), and refuses a table whose windows, grouping or column types no longer match, or
// that it did not create. Real PostgreSQL, no Kafka.

import { afterEach, describe, expect, it } from 'vitest';
import { PartitionState } from '../../../src/aggregator/partition-state.ts';
import { AggregateStore } from '../../../src/aggregator/pg-store.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { createLogger } from '../../../src/logger.ts';
import { makeAggJob } from '../../fixtures/jobs/agg-events.ts';
import { AGG_JOB, pgUrl, sql, T0 } from '../../helpers/aggregator.ts';
import { uniqueName } from '../../helpers/kafka.ts';

const job = uniqueName('mig').replace('-', '_');
const table = `${job}_agg`;
const logger = createLogger('aggregate-test');

function storeFor(env: Record<string, string>): AggregateStore {
  const plan = planAggregate(
    validateJob(makeAggJob({ KRANGE_AGG_JOB: job, KRANGE_AGG_TOPIC: 'mig', ...env }), AGG_JOB),
  );
  return new AggregateStore(plan, { url: pgUrl(), poolSize: 1, statementTimeout: 5000, logger });
}

async function columns(): Promise<string[]> {
  const rows = await sql<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return rows.map((r) => `${r.column_name} ${r.data_type}`);
}

afterEach(async () => {
  await sql(`DROP TABLE IF EXISTS "${table}"`);
  await sql('DELETE FROM krange_stream_offsets WHERE job = $1', [job]);
  await sql('DELETE FROM krange_stream_stats WHERE job = $1', [job]);
});

describe('aggregator table', () => {
  it('adds columns for new measures and keeps existing rows', async () => {
    const before = storeFor({ KRANGE_AGG_MEASURES: 'base' });
    try {
      await before.ensureSchema();
      await before.insertStartPositions([{ topic: 'mig', partition: 0, next: 0n }]);
      const plan = planAggregate(
        validateJob(makeAggJob({ KRANGE_AGG_JOB: job, KRANGE_AGG_MEASURES: 'base' }), AGG_JOB),
      );
      const st = new PartitionState('mig', 0, { nextOffset: 0n, maxEventTime: null }, false);
      st.addRecord(
        plan,
        [
          {
            row: {},
            values: ['u', '/a', 'FR', BigInt(T0), 7n],
            topic: 'mig',
            partition: 0,
            offset: 0n,
            timestamp: 0,
            seq: 0,
          },
        ],
        { key: null, value: null },
      );
      st.position = 1n;
      expect((await before.flush([st.snapshot()])).fenced).toEqual([]);
    } finally {
      await before.close();
    }
    expect(await columns()).toEqual([
      'window_start timestamp with time zone',
      'window_end timestamp with time zone',
      'page text',
      'country text',
      'updated_at timestamp with time zone',
      'events bigint',
      'amount_sum numeric',
    ]);

    const after = storeFor({});
    try {
      await after.ensureSchema();
      await after.ensureSchema(); // idempotent
    } finally {
      await after.close();
    }
    expect((await columns()).slice(7)).toEqual([
      'amount_min bigint',
      'amount_max bigint',
      'users bigint',
      'users_set ARRAY',
      'first_ts timestamp with time zone',
    ]);
    const rows = await sql(
      `SELECT events::text, amount_sum::text, amount_min, users::text, users_set FROM "${table}" LIMIT 1`,
    );
    expect(rows).toEqual([{ events: '1', amount_sum: '7', amount_min: null, users: '0', users_set: [] }]);
  });

  it('refuses a table holding other windows, a changed column type, or a table it did not create', async () => {
    const first = storeFor({});
    await first.ensureSchema().finally(() => first.close());

    const otherWindow = storeFor({ KRANGE_AGG_SIZE: '120000', KRANGE_AGG_SLIDE: '120000' });
    await expect(otherWindow.ensureSchema().finally(() => otherWindow.close())).rejects.toThrow(
      /holds windows .* set aggregate.table/,
    );

    await sql(`ALTER TABLE "${table}" ALTER COLUMN amount_max TYPE text`);
    const retyped = storeFor({});
    await expect(retyped.ensureSchema().finally(() => retyped.close())).rejects.toThrow(
      /column 'amount_max' .* is text, the measure needs bigint/,
    );

    await sql(`COMMENT ON TABLE "${table}" IS NULL`);
    const foreign = storeFor({});
    await expect(foreign.ensureSchema().finally(() => foreign.close())).rejects.toThrow(
      /not created by 'krange aggregate'/,
    );
  });
});
