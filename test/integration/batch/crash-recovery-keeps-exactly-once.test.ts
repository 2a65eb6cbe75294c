// SIGKILL of the runner after the plan is written, with files staged but not renamed, and after the
// renames but before the commit: each time the next `run` ends with every record exactly once. The
// test waits for the runs' log events, not for files to show up on HDFS (which a loaded machine missed).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { followCli, type LogLine } from '../../helpers/daemon.ts';
import { hdfsClient, listHdfs } from '../../helpers/duckdb.ts';
import { until } from '../../helpers/until.ts';

describe('crash recovery', () => {
  it('re-runs the same plan after SIGKILL at each stage, leaving every record exactly once', async () => {
    const f = await batchFixture(3, { KRANGE_TEST_MAX_PER_TASK: '1500' });
    const state = join(f.stateDir, f.job);
    const hdfs = hdfsClient();
    const finalFiles = async () =>
      (await listHdfs(hdfs, f.hdfsDir)).filter((p) => !p.startsWith('_temporary'));

    // 1. Killed right after the plan was written.
    await produceEvents(f, 6000);
    const run = startCli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '300' });
    await until('plan 0', () => existsSync(join(state, 'offsets', '0.json')));
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);
    const plan0 = readFileSync(join(state, 'offsets', '0.json'), 'utf8');

    // 2. Killed with a task's files complete in the temporary directory, none renamed into place:
    //    each task holds before its renames, and says when its files are staged (sink.staged).
    const debug = { ...f.env, KRANGE_LOG_LEVEL: 'debug' };
    const staging = followCli(['run', EVENTS_JOB], {
      ...debug,
      KRANGE_DEBUG_PAUSE_BEFORE_RENAME_MS: '60000',
    });
    await staging.until('a task staged', (ls) => ls.some((l) => l.event === 'sink.staged'));
    staging.child.kill('SIGKILL');
    await staging.done;
    expect(await listHdfs(hdfs, `${f.hdfsDir}/_temporary`)).not.toEqual([]);
    expect(await finalFiles()).toEqual([]);
    expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);
    // The resumed run must have used the same plan, not a new one.
    expect(readFileSync(join(state, 'offsets', '0.json'), 'utf8')).toBe(plan0);

    // 3. Killed after every file was renamed into place, before the commit: every task has logged
    //    sink.flushed (after its renames) and the driver holds before the commit.
    const renaming = followCli(['run', EVENTS_JOB], {
      ...debug,
      KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000',
    });
    const tasks = JSON.parse(plan0).tasks.length as number;
    const flushedTasks = (ls: LogLine[]) =>
      new Set(ls.filter((l) => l.event === 'sink.flushed').map((l) => l['task'])).size;
    await renaming.until('every task flushed', (ls) => flushedTasks(ls) === tasks);
    renaming.child.kill('SIGKILL');
    await renaming.done;
    expect((await finalFiles()).length).toBeGreaterThanOrEqual(tasks);
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
