import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../src/errors.ts';
import { JobLock } from '../../src/state/job-lock.ts';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'krange-lock-')), 'lock.json');

describe('JobLock', () => {
  it('refuses a second holder while the owner lives', () => {
    const p = lockPath();
    const a = new JobLock('j', p);
    a.acquire('first');
    const b = new JobLock('j', p);
    try {
      b.acquire('second');
      expect.unreachable();
    } catch (err) {
      expect(isKrangeError(err, 'KRANGE_LOCKED')).toBe(true);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
    }
    a.release();
    b.acquire('second');
    b.release();
  });

  it('takes over a lock whose owner process is gone', () => {
    const p = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout.toString());
    const now = new Date().toISOString();
    writeFileSync(
      p,
      JSON.stringify({
        host: hostname(),
        pid,
        pidStart: null,
        token: 'x',
        acquiredAt: now,
        heartbeatAt: now,
        command: 'old',
      }),
    );
    const l = new JobLock('j', p);
    l.acquire('new');
    expect(JSON.parse(readFileSync(p, 'utf8')).pid).toBe(process.pid);
    l.release();
  });

  it('does not take over a live lock on another host until its heartbeat is stale', () => {
    const p = lockPath();
    const fresh = new Date().toISOString();
    const owner = {
      host: 'elsewhere',
      pid: 1,
      pidStart: null,
      token: 'x',
      acquiredAt: fresh,
      heartbeatAt: fresh,
      command: 'old',
    };
    writeFileSync(p, JSON.stringify(owner));
    expect(() => new JobLock('j', p, { staleAfterMs: 60_000 }).acquire('new')).toThrowError(/locked/);
    writeFileSync(p, JSON.stringify({ ...owner, heartbeatAt: new Date(Date.now() - 120_000).toISOString() }));
    const l = new JobLock('j', p, { staleAfterMs: 60_000 });
    l.acquire('new');
    l.release();
  });
});
