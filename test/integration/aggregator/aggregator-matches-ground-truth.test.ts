// The aggregator's table equals a ground truth computed from the produced events (hopping windows,
// every measure), with data produced before and while it runs; `aggregatorStatus` then shows no lag.
// Also reports the sustained records/s into PostgreSQL.

import { afterEach, describe, expect, it } from 'vitest';
import { aggregatorStatus } from '../../../src/aggregator/status.ts';
import {
  type AggFixture,
  aggFixture,
  aggJob,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  produceAgg,
  rng,
  runAggregatorHere,
  sql,
  T0,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';

let fixture: AggFixture | undefined;
afterEach(async () => {
  if (fixture) await dropFixture(fixture);
  fixture = undefined;
});

describe('aggregator', () => {
  it('writes windows equal to the ground truth of the produced events', async () => {
    const f = await aggFixture(3, { KRANGE_AGG_FLUSH_MS: '1000', KRANGE_AGG_FLUSH_RECORDS: '50000' });
    fixture = f;
    const random = rng(42);
    const first = genEvents(random, 60_000, T0);
    await produceAgg(f, first);

    const job = aggJob(f);
    const ac = new AbortController();
    let flushed = 0;
    const started = performance.now();
    let caughtUpMs = 0;
    const run = runAggregatorHere(f, 'ground-truth', {
      signal: ac.signal,
      onFlush: (x) => {
        flushed += x.records;
        if (flushed >= first.length && caughtUpMs === 0) caughtUpMs = performance.now() - started;
      },
    });
    try {
      await waitCaughtUp(f);
      // More data while it runs, spread over a later time range.
      await produceAgg(f, genEvents(random, 5000, T0 + 3_000_000));
      await waitCaughtUp(f);
    } finally {
      ac.abort();
      await run;
    }
    const rate = Math.round(first.length / (caughtUpMs / 1000));
    process.stderr.write(
      `[aggregator] ${first.length} records into PostgreSQL in ${Math.round(caughtUpMs)} ms (${rate} records/s, incl. group join)\n`,
    );

    await expectTableMatchesTruth(f);
    const status = await aggregatorStatus(job);
    expect(status.map((s) => s.partition)).toEqual([0, 1, 2]);
    for (const s of status) {
      expect(s.lag).toBe('0');
      expect(s.nextOffset).toBe(s.highWatermark);
      expect(s.lateEvents).toBe('0');
    }
    const records = status.reduce((n, s) => n + Number(s.records), 0);
    expect(records).toBe(f.events.length);
    const [meta] = await sql<{ c: string }>('SELECT obj_description(to_regclass($1), $2) AS c', [
      `"${f.table}"`,
      'pg_class',
    ]);
    expect(meta?.c).toMatch(/^krange aggregate: /);
  });
});
