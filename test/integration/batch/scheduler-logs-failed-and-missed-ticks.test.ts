// The scheduler keeps going when a tick's iteration fails (schedule.failed, with the error's code),
// and says when ticks were missed because its process did not run for a while (schedule.missed:
// here the process is stopped with SIGSTOP across several one-second ticks, then continued).
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB } from '../../helpers/batch.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import { uniqueName } from '../../helpers/kafka.ts';

describe('krange schedule', () => {
  it('logs schedule.failed for a failing tick and schedule.missed for ticks it could not run', async () => {
    const f = await batchFixture(1);
    const missing = uniqueName('no-such-topic');
    const d = startDaemon([EVENTS_JOB, '--no-metrics'], {
      ...f.env,
      KRANGE_TEST_TOPIC: missing,
      KRANGE_TEST_CRON: '* * * * * *',
    });
    try {
      await d.until('a failed tick', (ls) => ls.some((l) => l.event === 'schedule.failed'));
      expect(d.events('schedule.failed')[0]).toMatchObject({
        job: f.job,
        code: 'KRANGE_CONFIG',
        nextRun: expect.any(String),
      });
      expect(d.events('schedule.failed')[0]?.msg).toContain(missing);

      const pausedAt = Date.now();
      d.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 3500));
      d.child.kill('SIGCONT');
      await d.until('a missed tick', (ls) => ls.some((l) => l.event === 'schedule.missed'));
      const missed = d.events('schedule.missed');
      for (const m of missed) {
        expect(m['job']).toBe(f.job);
        expect(Date.parse(String(m['at']))).toBeGreaterThanOrEqual(pausedAt - 1000);
      }
      // Still scheduling after the pause: another failed tick follows.
      const failedBefore = d.events('schedule.failed').length;
      await d.until(
        'a tick after the pause',
        (ls) => ls.filter((l) => l.event === 'schedule.failed').length > failedBefore,
      );

      d.child.kill('SIGTERM');
      const r = await d.done;
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(d.events('schedule.stopped')).toHaveLength(1);
    } finally {
      d.child.kill('SIGKILL');
    }
  });
});
