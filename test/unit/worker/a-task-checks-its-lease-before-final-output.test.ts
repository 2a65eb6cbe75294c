// The task's side of the lease's fencing (worker/task-fence.ts): a task planned under generation g
// passes its check while g is the job's newest generation, is refused with KRANGE_FENCED (not
// retriable) once a newer one was claimed, and, where the lock cannot be seen at all, says so once
// and goes on (the driver's own check before its commit still holds).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { JobLock } from '../../../src/state/job-lock.ts';
import { fenceCheck } from '../../../src/worker/task-fence.ts';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'krange-fence-')), 'lock.json');

function capture() {
  const lines: { msg?: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe("a task fenced by its runner's lock generation", () => {
  it('passes while its generation is the newest, and is refused once a newer one took over', async () => {
    const p = lockPath();
    const a = new JobLock('j', p);
    await a.acquire('runner a');
    const g = a.generation!;
    const { logger } = capture();
    const check = fenceCheck('j', { generation: g, state: dirname(p), dir: '' }, logger)!;
    await expect(check('rename x to y')).resolves.toBeUndefined();

    // The runner is presumed gone (released here, as a takeover's claim of g+1 would follow).
    await a.release();
    const b = new JobLock('j', p);
    await b.acquire('runner b');
    expect(b.generation).toBe(g + 1);
    const err = await check('rename x to y').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKrangeError(err, 'KRANGE_FENCED')).toBe(true);
    expect((err as { retriable: boolean }).retriable).toBe(false);
    expect((err as Error).message).toContain('rename x to y');
    expect((err as Error).message).toContain(`generation ${g + 1}`);
    // The newer holder's own tasks pass.
    await expect(
      fenceCheck('j', { generation: g + 1, state: dirname(p), dir: '' }, logger)!('commit'),
    ).resolves.toBeUndefined();
    await b.release();
  });

  it('is absent for a task without a fence, and goes on (saying so once) where the lock cannot be seen', async () => {
    const { logger, lines } = capture();
    expect(fenceCheck('j', undefined, logger)).toBeUndefined();
    const check = fenceCheck(
      'j',
      { generation: 3, state: join(tmpdir(), 'no-such-dir'), dir: 'job' },
      logger,
    )!;
    await check('rename a');
    await check('rename b');
    const said = lines.filter((l) => l.msg?.includes('not fenced here'));
    expect(said).toHaveLength(1);
  });
});
