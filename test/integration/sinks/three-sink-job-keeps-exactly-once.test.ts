// A job with HDFS + MongoDB + Redis sinks over three iterations, then a SIGKILL in the middle of an
// iteration: after each run HDFS holds every record once, MongoDB exactly one document per record,
// and every Redis `latest` key the value of its highest offset. The commit file records per-sink
// counts and durations.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import {
  dropThreeSinkData,
  expectThreeSinksExact,
  mongoDocs,
  THREE_SINKS_JOB,
  type ThreeSinkFixture,
  threeSinkFixture,
} from '../../helpers/three-sinks.ts';
import { until } from '../../helpers/until.ts';

let f: ThreeSinkFixture | undefined;
afterAll(async () => {
  if (f) await dropThreeSinkData(f);
});

describe('a job with three sinks', () => {
  it('holds every record exactly once in HDFS, MongoDB and Redis, across iterations and a SIGKILL', async () => {
    f = await threeSinkFixture(3, { KRANGE_TEST_MAX_PER_TASK: '1500' });
    const state = join(f.stateDir, f.job);
    for (const n of [2000, 1500, 2500]) {
      await produceEvents(f, n);
      const r = await cli(['run', THREE_SINKS_JOB], f.env);
      expect(r.stderr).not.toMatch(/"level":50/);
      expect(r.code).toBe(0);
      await expectThreeSinksExact(f);
    }

    // The commit file: per task, each sink's rows, bytes and duration. A sink's time is whole
    // milliseconds within its task's (it runs inside the task), and writing rows takes some time.
    const commit = JSON.parse(readFileSync(join(state, 'commits', '2.json'), 'utf8'));
    const perSink = new Map<string, number>();
    const sinkTime = new Map<string, number>();
    for (const task of commit.tasks as {
      durationMs: number;
      sinks: Record<string, { rows: number; durationMs: number }>;
    }[]) {
      for (const [name, s] of Object.entries(task.sinks)) {
        perSink.set(name, (perSink.get(name) ?? 0) + s.rows);
        sinkTime.set(name, (sinkTime.get(name) ?? 0) + s.durationMs);
        expect(Number.isInteger(s.durationMs)).toBe(true);
        expect(s.durationMs).toBeLessThanOrEqual(task.durationMs);
      }
    }
    for (const [name, ms] of sinkTime) expect(ms, name).toBeGreaterThan(0);
    expect(Object.fromEntries(perSink)).toEqual({
      [`parquet:${f.env['KRANGE_TEST_OUT']}`]: 2500,
      [`mongo:${f.database}.events`]: 2500,
      [`redis:latest:${f.prefix}:{user}`]: 2500,
    });

    // SIGKILL while the sinks are being written: nothing committed; the next run finishes the same
    // plan, and replayed records overwrite instead of doubling.
    await produceEvents(f, 3000);
    const before = (await mongoDocs(f)).length;
    // Rows reach Mongo in sink batches, so the run is held before its commit: the kill then lands
    // after the sinks wrote (part of) the plan and before anything is committed, every time.
    const run = startCli(['run', THREE_SINKS_JOB], {
      ...f.env,
      KRANGE_TEST_DELAY_MS: '100',
      KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000',
    });
    await until('documents of iteration 3', async () => (await mongoDocs(f!)).length > before + 500);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(existsSync(join(state, 'commits', '3.json'))).toBe(false);
    const again = await cli(['run', THREE_SINKS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed uncommitted plan/);
    await expectThreeSinksExact(f);
  });
});
