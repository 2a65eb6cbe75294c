// `krange schedule` with a one-second schedule and a deliberately slow job: ticks that come while
// an iteration runs are skipped and logged, never queued; no two iterations overlap; SIGTERM in the
// middle of an iteration lets it finish (within the grace period) and the daemon exits 0.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { type LogLine, startDaemon } from '../../helpers/daemon.ts';

/** Iterations open with iteration.planned/resumed and close with committed/failed/aborted: never two open. */
function expectNoOverlap(lines: LogLine[]): void {
  let open: number | undefined;
  for (const l of lines) {
    if (l.event === 'iteration.planned' || l.event === 'iteration.resumed') {
      expect(open, `iteration ${l.iteration} started while ${open} was running`).toBeUndefined();
      open = l.iteration;
    } else if (['iteration.committed', 'iteration.failed', 'iteration.aborted'].includes(l.event ?? '')) {
      open = undefined;
    }
  }
  const ticks = lines.filter((l) => l.event === 'schedule.tick' && l.durationMs !== undefined);
  for (let i = 1; i < ticks.length; i++) {
    const prev = ticks[i - 1]!;
    const cur = ticks[i]!;
    expect(cur.time - cur.durationMs!).toBeGreaterThanOrEqual(prev.time - 5);
  }
}

describe('krange schedule', () => {
  it('skips ticks while an iteration runs, never overlaps, and exits 0 on SIGTERM after the iteration', async () => {
    const f = await batchFixture(2);
    const state = join(f.stateDir, f.job);
    await produceEvents(f, 4000);
    const d = startDaemon([EVENTS_JOB, '--grace', '60'], {
      ...f.env,
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_TEST_DELAY_MS: '700',
    });
    try {
      await d.until('iteration 0 committed', (ls) =>
        ls.some((l) => l.event === 'schedule.tick' && l.iteration === 0 && l.status === 'committed'),
      );
      const tick0 = d.events('schedule.tick').find((l) => l.iteration === 0)!;
      expect(tick0).toMatchObject({ job: f.job, records: 4000, status: 'committed' });
      expect(Date.parse(tick0.nextRun!)).toBeGreaterThan(tick0.time - 1000);
      const skipped = d
        .events('schedule.skipped')
        .filter((l) => l.reason === 'running' && l.time < tick0.time);
      expect(skipped.length).toBeGreaterThanOrEqual(2);
      expect(skipped[0]).toMatchObject({ job: f.job, iteration: 0 });

      // Idle ticks find nothing new.
      await d.until('an empty tick', (ls) =>
        ls.some((l) => l.event === 'schedule.tick' && l.status === 'noop'),
      );

      // New data; SIGTERM while iteration 1 runs: it finishes and commits, then the daemon exits 0.
      await produceEvents(f, 3000);
      await d.until('iteration 1 planned', (ls) =>
        ls.some((l) => l.event === 'iteration.planned' && l.iteration === 1),
      );
      d.child.kill('SIGTERM');
      const r = await d.done;
      expect(r.code).toBe(0);
      const stopping = d.events('schedule.stopping')[0]!;
      expect(stopping).toMatchObject({ running: [f.job] });
      const tick1 = d.events('schedule.tick').find((l) => l.iteration === 1);
      expect(tick1).toMatchObject({ status: 'committed', records: 3000 });
      expect(tick1!.time).toBeGreaterThan(stopping.time);
      expect(d.events('schedule.stopped')).toHaveLength(1);
      // The daemon announced itself before its first tick.
      expect(d.events('schedule.started')).toHaveLength(1);
      expect(d.events('schedule.started')[0]!.time).toBeLessThan(tick0.time);
      // No iteration started after the stop request.
      expect(d.lines.filter((l) => l.event === 'iteration.planned' && l.time > stopping.time)).toHaveLength(
        0,
      );
      expectNoOverlap(d.lines);
      expect(existsSync(join(state, 'commits', '1.json'))).toBe(true);
      expect(existsSync(join(state, 'lock.json'))).toBe(false);
      await expectExactlyOnce(f);
    } finally {
      d.child.kill('SIGKILL');
    }
  });
});
