import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { JobLock } from '../../../src/state/job-lock.ts';

describe('JobLock generations', () => {
  it('numbers each holding, and a holder overtaken by a newer generation is fenced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-lock-'));
    const path = join(dir, 'lock.json');
    const a = new JobLock('j', path);
    a.acquire('first');
    expect(a.generation).toBe(1);
    a.assertHeld('commit');
    a.release();
    expect(existsSync(path)).toBe(false);
    a.acquire('again');
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
    try {
      a.assertHeld('commit iteration 7');
      expect.unreachable();
    } catch (err) {
      expect(isKrangeError(err, 'KRANGE_FENCED')).toBe(true);
      expect((err as Error).message).toMatch(
        /generation 2, but generation 3 \(krange run \(pid 1 on elsewhere/,
      );
    }
    // Releasing leaves the newer holder's lock alone.
    a.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).generation).toBe(3);
    expect(() => new JobLock('j', path).acquire('third')).toThrowError(/locked by krange run/);
  });
});
