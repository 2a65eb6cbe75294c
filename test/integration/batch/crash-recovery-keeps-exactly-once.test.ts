// SIGKILL of the runner after the plan is written, in the middle of writing files, and after the
// renames but before the commit: each time the next `run` ends with every record exactly once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { hdfsClient, listHdfs } from '../../helpers/duckdb.ts';
import { until } from '../../helpers/until.ts';

describe('crash recovery', () => {
  it('re-runs the same plan after SIGKILL at each stage, leaving every record exactly once', async () => {
    // Small row groups, so temporary files receive data while a task is still running.
    const f = await batchFixture(3, { KRANGE_TEST_MAX_PER_TASK: '1500', KRANGE_TEST_ROW_GROUP: '200' });
    const state = join(f.stateDir, f.job);
    const hdfs = hdfsClient();
    const finalFiles = async () =>
      (await listHdfs(hdfs, f.hdfsDir)).filter((p) => !p.startsWith('_temporary'));

    // 1. Killed right after the plan was written.
    await produceEvents(f, 6000);
    let run = startCli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '300' });
    await until('plan 0', () => existsSync(join(state, 'offsets', '0.json')));
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);
    const plan0 = readFileSync(join(state, 'offsets', '0.json'), 'utf8');

    // 2. Killed while files are being written (some temporary files exist).
    run = startCli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '300' });
    await until('temporary files', async () => (await listHdfs(hdfs, `${f.hdfsDir}/_temporary`)).length > 0);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);
    // The resumed run must have used the same plan, not a new one.
    expect(readFileSync(join(state, 'offsets', '0.json'), 'utf8')).toBe(plan0);

    // 3. Killed after every file was renamed into place, before the commit.
    run = startCli(['run', EVENTS_JOB], { ...f.env, KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000' });
    const tasks = JSON.parse(plan0).tasks.length as number;
    await until('all files renamed', async () => (await finalFiles()).length >= tasks);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);

    // The next run finishes the same plan; output holds every record once.
    const ok = await cli(['run', EVENTS_JOB], f.env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/resumed uncommitted plan/);
    expect(readFileSync(join(state, 'offsets', '0.json'), 'utf8')).toBe(plan0);
    await expectExactlyOnce(f);

    // New data after the crash cycle is read once more, with nothing doubled.
    await produceEvents(f, 1000);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await expectExactlyOnce(f);
    expect(await listHdfs(hdfs, `${f.hdfsDir}/_temporary`)).toEqual([]);
  });
});
