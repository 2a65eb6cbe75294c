// A second concurrent runner of the same job exits with code 3 and names the owner.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';

describe('job lock', () => {
  it('refuses a second runner with exit code 3', async () => {
    const f = await batchFixture(1);
    await produceEvents(f, 2000);
    const first = startCli(['run', EVENTS_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '20' });
    const lock = join(f.stateDir, f.job, 'lock.json');
    const end = Date.now() + 30_000;
    while (!existsSync(lock) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    // Hold the first runner still while the second starts, so a loaded machine cannot let the first
    // finish before the second asks for the lock (its pid stays alive: the lock is not stale).
    first.child.kill('SIGSTOP');
    const second = await cli(['run', EVENTS_JOB], f.env).finally(() => first.child.kill('SIGCONT'));
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/is locked by krange run \(pid \d+/);
    expect((await first.done).code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    await expectExactlyOnce(f);
  });
});
