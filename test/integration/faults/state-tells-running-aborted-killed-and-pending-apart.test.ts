// `krange state` used to show every uncommitted iteration as `pending`, whether it was running,
// stopped by a signal or killed. Attempts are recorded now (attempts/<n>.json): started, aborted
// on a signal, killed (seen as such by `state`, recorded by the next run), committed; `state`
// tells running, aborted, killed, pending and committed apart, as a table and as JSON.
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, logLines } from '../../helpers/cli.ts';
import { followCli } from '../../helpers/daemon.ts';
import { readStateJson, statePath, writePendingPlan } from '../../helpers/state-files.ts';

interface Shown {
  iteration: number;
  status: string;
  attempts: { attempt: number; outcome: string; reason: string | null; pid: number }[];
}

async function shown(env: Record<string, string>): Promise<Shown[]> {
  const r = await cli(['state', EVENTS_JOB, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { iterations: Shown[] }).iterations;
}

describe('krange state and the attempts at an iteration', () => {
  it('tells running, aborted, killed, pending and committed iterations apart', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 3000);
    const slow = { ...f.env, KRANGE_TEST_DELAY_MS: '2000', KRANGE_TEST_MAX_PER_TASK: '1000' };

    // Running: the attempt's runner holds the lock.
    const first = followCli(['run', EVENTS_JOB], slow);
    await first.until('planned', (ls) => ls.some((l) => l.event === 'iteration.planned'));
    const running = await shown(f.env);
    expect(running[0]?.status).toBe('running');
    expect(running[0]?.attempts).toHaveLength(1);
    const table = await cli(['state', EVENTS_JOB], f.env);
    expect(table.stdout).toMatch(new RegExp(`running \\(pid ${first.child.pid} `));

    // Aborted by a signal.
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(143);
    const aborted = await shown(f.env);
    expect(aborted[0]?.status).toBe('aborted');
    expect(aborted[0]?.attempts[0]).toMatchObject({ attempt: 1, outcome: 'aborted', reason: 'SIGTERM' });
    expect((await cli(['state', EVENTS_JOB], f.env)).stdout).toMatch(/aborted \(SIGTERM\)/);

    // Killed outright: the attempt still says running, but its lock generation is gone.
    const second = followCli(['run', EVENTS_JOB], slow);
    await second.until('resumed', (ls) => ls.some((l) => l.event === 'iteration.resumed'));
    second.child.kill('SIGKILL');
    await second.done;
    expect(existsSync(statePath(f, 'lock.json'))).toBe(true);
    const killed = await shown(f.env);
    expect(killed[0]?.status).toBe('killed');
    expect(killed[0]?.attempts.map((a) => a.outcome)).toEqual(['aborted', 'running']);
    expect((await cli(['state', EVENTS_JOB], f.env)).stdout).toMatch(
      new RegExp(`killed \\(pid ${second.child.pid} `),
    );

    // The next run records the kill and commits.
    const third = await cli(['run', EVENTS_JOB], f.env);
    expect(third.code).toBe(0);
    const thirdLog = logLines(third.stderr);
    expect(thirdLog.filter((l) => l.event === 'attempt.killed')).toEqual([
      expect.objectContaining({ iteration: 0, attempt: 2, pid: second.child.pid }),
    ]);
    // The killed runner never released its lock: the third run takes it over and says from whom.
    expect(thirdLog.filter((l) => l.event === 'lock.stale')).toEqual([
      expect.objectContaining({
        job: expect.any(String),
        owner: expect.stringContaining(`pid ${second.child.pid}`),
      }),
    ]);
    const committed = await shown(f.env);
    expect(committed[0]?.status).toBe('committed');
    expect(committed[0]?.attempts.map((a) => a.outcome)).toEqual(['aborted', 'killed', 'committed']);
    expect(committed[0]?.attempts[1]?.reason).toMatch(/found dead by the run that took lock generation/);
    await expectExactlyOnce(f);

    // Pending: planned, never attempted (also how a plan of an older release shows).
    await produceEvents(f, 200);
    await writePendingPlan(f, EVENTS_JOB);
    const pending = await shown(f.env);
    expect(pending[1]?.status).toBe('pending');
    expect(pending[1]?.attempts).toEqual([]);

    // Older state directories (no attempts/) keep working: committed stays committed.
    rmSync(statePath(f, 'attempts'), { recursive: true });
    const old = await shown(f.env);
    expect(old.map((s) => s.status)).toEqual(['committed', 'pending']);
    expect(readStateJson(f, 'commits', '0.json')['iteration']).toBe(0);
  });
});
