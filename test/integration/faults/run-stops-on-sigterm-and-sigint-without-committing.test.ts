// SIGTERM or SIGINT on `krange run` used to kill it at once: exit 143, nothing printed, lock.json
// left behind. Now the running iteration is aborted without committing, the lock is released, the
// run says what happened and how to resume, and exits 143 (SIGTERM) or 130 (SIGINT); the next run
// re-runs the same plan and every record lands exactly once (DuckDB over the Parquet files).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { followCli } from '../../helpers/daemon.ts';

describe('krange run and a signal', () => {
  it('aborts the iteration uncommitted, releases the lock, says how to resume and exits 143/130', async () => {
    const f = await batchFixture(2);
    const state = join(f.stateDir, f.job);
    await produceEvents(f, 4000);
    const slow = { ...f.env, KRANGE_TEST_DELAY_MS: '2000', KRANGE_TEST_MAX_PER_TASK: '1000' };

    for (const [sig, code, event] of [
      ['SIGTERM', 143, 'iteration.planned'],
      ['SIGINT', 130, 'iteration.resumed'],
    ] as const) {
      const run = followCli(['run', EVENTS_JOB], slow);
      await run.until(event, (ls) => ls.some((l) => l.event === event));
      // Mid-iteration: the tasks are running (the lock is held) when the signal comes.
      expect(existsSync(join(state, 'lock.json'))).toBe(true);
      const plan0 = readFileSync(join(state, 'offsets', '0.json'), 'utf8');
      const at = Date.now();
      run.child.kill(sig);
      const r = await run.done;
      expect(r.signal, sig).toBeNull();
      expect(r.code, sig).toBe(code);
      expect(Date.now() - at, sig).toBeLessThan(20_000);
      expect(r.stderr).toContain(`krange: ${sig} received`);
      expect(r.stderr).toContain(
        `stopped by ${sig}: iteration 0 of job '${f.job}' was aborted; nothing of it was committed`,
      );
      expect(r.stderr).toContain(`'krange run ${EVENTS_JOB}' re-runs the same plan`);
      expect(run.events('iteration.committed')).toHaveLength(0);
      expect(run.events('iteration.aborted')).toEqual([expect.objectContaining({ iteration: 0 })]);
      expect(existsSync(join(state, 'lock.json')), sig).toBe(false);
      expect(existsSync(join(state, 'commits', '0.json')), sig).toBe(false);
      expect(readFileSync(join(state, 'offsets', '0.json'), 'utf8')).toBe(plan0);
    }

    const again = await cli(['run', EVENTS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/iteration 0 committed \(resumed uncommitted plan\)/);
    await expectExactlyOnce(f);

    // A signal while waiting out --grace: the iteration finishes and commits, then the run stops.
    await produceEvents(f, 1000);
    const graced = followCli(['run', EVENTS_JOB, '--grace', '60'], {
      ...f.env,
      KRANGE_TEST_DELAY_MS: '1000',
    });
    await graced.until('iteration 1 planned', (ls) => ls.some((l) => l.event === 'iteration.planned'));
    graced.child.kill('SIGTERM');
    const g = await graced.done;
    expect(g.code).toBe(143);
    expect(g.stdout).toMatch(/iteration 1 committed/);
    expect(g.stderr).toContain('stopped by SIGTERM after iteration 1 committed');
    expect(existsSync(join(state, 'lock.json'))).toBe(false);
    await expectExactlyOnce(f);
  });
});
