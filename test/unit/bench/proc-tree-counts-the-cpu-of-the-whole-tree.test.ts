// bench/lib/proc-tree.ts: the CPU time a benchmark reports for a command is that of its whole
// process tree (the engines' CPU-per-record figures rest on it). A child burns a fixed amount of its
// own CPU (measured by itself, so a loaded machine only stretches the wall time) and starts a
// grandchild that burns a fixed amount too: both must be counted.
import { describe, expect, it } from 'vitest';
import { runMeasured } from '../../../bench/lib/proc-tree.ts';

/** A node process that spins until it has used `ms` of CPU, after running `then` (a command). */
function burn(ms: number, then = ''): string {
  return `${then}const t0 = process.cpuUsage(); while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000 < ${ms}) {}`;
}

describe('runMeasured', () => {
  it('counts the CPU time of the process and of the descendants it waited for', async () => {
    const grandchild = `require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(burn(400))}]);`;
    const r = await runMeasured(process.execPath, ['-e', burn(300, grandchild)]);
    expect(r.code).toBe(0);
    // 700 ms burnt in all, plus two node start-ups; 10 ms clock ticks.
    expect(r.cpuMs).toBeGreaterThanOrEqual(680);
    expect(r.cpuMs).toBeLessThan(700 + 2_000);
  });

  it('counts nothing of a run before it', async () => {
    await runMeasured(process.execPath, ['-e', burn(300)]);
    const r = await runMeasured(process.execPath, ['-e', '']);
    expect(r.cpuMs).toBeLessThan(300);
  });
});
