import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { FileStateBackend } from '../../../src/state/file-state-backend.ts';
import { assertStillHolder, JobLock, newestGeneration } from '../../../src/state/job-lock.ts';

describe('JobLock generations', () => {
  it('numbers each holding, and a holder overtaken by a newer generation is fenced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-lock-'));
    const path = join(dir, 'lock.json');
    const a = new JobLock('j', path);
    await a.acquire('first');
    expect(a.generation).toBe(1);
    await a.assertHeld('commit');
    await a.release();
    expect(existsSync(path)).toBe(false);
    await a.acquire('again');
    expect(a.generation).toBe(2);

    // Another host took over generation 3 while this holder was paused.
    const now = new Date().toISOString();
    const other = {
      version: 1,
      generation: 3,
      host: 'elsewhere',
      pid: 1,
      pidStart: null,
      token: 't',
      acquiredAt: now,
      heartbeatAt: now,
      command: 'krange run',
    };
    writeFileSync(join(dir, 'lock-generations', '3.json'), JSON.stringify(other));
    writeFileSync(path, JSON.stringify(other));
    const err = await a.assertHeld('commit iteration 7').catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_FENCED')).toBe(true);
    expect((err as Error).message).toMatch(
      /generation 2, but generation 3 \(krange run \(pid 1 on elsewhere/,
    );
    // The standalone check a task makes before its final step says the same.
    const backend = new FileStateBackend(dir);
    expect(await newestGeneration(backend, '')).toBe(3);
    await expect(assertStillHolder(backend, '', 'j', 2, 'rename files')).rejects.toThrowError(/generation 2/);
    await assertStillHolder(backend, '', 'j', 3, 'rename files');
    // Releasing leaves the newer holder's lock alone.
    await a.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).generation).toBe(3);
    await expect(new JobLock('j', path).acquire('third')).rejects.toThrowError(/locked by krange run/);
  });
});
