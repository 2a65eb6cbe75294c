// `rerun` of an old iteration leaves DuckDB's result unchanged and does not move the committed
// position; `reset` then `run` re-reads from the new starting point.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';

describe('rerun and reset', () => {
  it('rerun changes nothing; reset then run re-reads', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 500);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await produceEvents(f, 500);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await expectExactlyOnce(f);

    const rerun = await cli(['rerun', EVENTS_JOB, '--iteration', '0'], f.env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/rerun of iteration 0/);
    await expectExactlyOnce(f);
    const state = JSON.parse((await cli(['state', EVENTS_JOB, '--json'], f.env)).stdout);
    expect(state.iterations).toHaveLength(2);
    expect(readdirSync(join(f.stateDir, f.job, 'reruns'))).toHaveLength(1);
    expect((await cli(['run', EVENTS_JOB], f.env)).stdout).toMatch(/0 records/);

    // reset asks for confirmation when not on a TTY and --yes is missing
    const refused = await cli(['reset', EVENTS_JOB, '--to', 'earliest'], f.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);

    const reset = await cli(['reset', EVENTS_JOB, '--to', 'earliest', '--yes'], f.env);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/reset as iteration 2/);
    const again = await cli(['run', EVENTS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/records\s+1,000/);
    // The re-read wrote files for the new ranges: every record is present (twice where the new
    // ranges differ from the old ones), and the latest iteration alone holds each exactly once.
    const { local } = await downloadParquet(f.hdfsDir);
    const [all] = await query(
      `select count(distinct (kafka_partition, kafka_offset))::int as d from ${parquetGlob(local)}`,
    );
    expect(all?.['d']).toBe(1000);

    const toLatest = await cli(['reset', EVENTS_JOB, '--to', 'latest', '--yes'], f.env);
    expect(toLatest.code).toBe(0);
    await produceEvents(f, 10);
    expect((await cli(['run', EVENTS_JOB], f.env)).stdout).toMatch(/records\s+10\b/);

    const bad = await cli(['reset', EVENTS_JOB, '--to', '{"nope', '--yes'], f.env);
    expect(bad.code).toBe(2);
  });
});
