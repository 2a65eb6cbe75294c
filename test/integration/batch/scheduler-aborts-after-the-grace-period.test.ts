// SIGTERM while a slow iteration runs and the grace period is short: the iteration is aborted
// without committing, the daemon exits 0, and the next run resumes the same plan exactly once.
// `krange schedule --once` runs the job one time and exits (system cron, Kubernetes CronJob).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, logLines } from '../../helpers/cli.ts';
import { startDaemon } from '../../helpers/daemon.ts';

describe('krange schedule shutdown', () => {
  it('aborts an iteration still running after the grace period, uncommitted, and exits 0', async () => {
    const f = await batchFixture(2);
    const state = join(f.stateDir, f.job);
    await produceEvents(f, 4000);
    const d = startDaemon([EVENTS_JOB, '--grace', '1'], {
      ...f.env,
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_TEST_DELAY_MS: '3000',
    });
    try {
      await d.until('iteration 0 planned', (ls) => ls.some((l) => l.event === 'iteration.planned'));
      const plan0 = readFileSync(join(state, 'offsets', '0.json'), 'utf8');
      const stopAt = Date.now();
      d.child.kill('SIGTERM');
      const r = await d.done;
      expect(r.code).toBe(0);
      expect(Date.now() - stopAt).toBeLessThan(15_000);
      expect(d.events('schedule.aborted').length).toBeGreaterThanOrEqual(1);
      expect(d.events('iteration.committed')).toHaveLength(0);
      expect(d.events('schedule.stopped')).toHaveLength(1);
      expect(existsSync(join(state, 'commits', '0.json'))).toBe(false);
      expect(existsSync(join(state, 'lock.json'))).toBe(false);

      const again = await cli(['run', EVENTS_JOB], f.env);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/resumed uncommitted plan/);
      expect(readFileSync(join(state, 'offsets', '0.json'), 'utf8')).toBe(plan0);
      await expectExactlyOnce(f);

      // --once: one iteration of every given job, then exit.
      await produceEvents(f, 500);
      const once = await cli(['schedule', '--once', EVENTS_JOB], f.env);
      expect(once.code).toBe(0);
      expect(logLines(once.stderr).filter((l) => l.event === 'schedule.tick')).toEqual([
        expect.objectContaining({ iteration: 1, status: 'committed', records: 500 }),
      ]);
      expect(existsSync(join(state, 'commits', '1.json'))).toBe(true);
      await expectExactlyOnce(f);
    } finally {
      d.child.kill('SIGKILL');
    }
  });
});
