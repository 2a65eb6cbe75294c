import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { JobLock, leaseTtlMs } from '../../../src/state/job-lock.ts';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'krange-lock-')), 'lock.json');

/** A logger whose structured lines the test can read. */
function capture() {
  const lines: { event?: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('JobLock', () => {
  it('refuses a second holder while the owner lives', async () => {
    const p = lockPath();
    const a = new JobLock('j', p);
    await a.acquire('first');
    const b = new JobLock('j', p);
    const err = await b.acquire('second').catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_LOCKED')).toBe(true);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    await a.release();
    await b.acquire('second');
    await b.release();
  });

  it('takes over a lock whose owner process is gone', async () => {
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
    const { logger, lines } = capture();
    const l = new JobLock('j', p, { logger });
    await l.acquire('new');
    expect(JSON.parse(readFileSync(p, 'utf8')).pid).toBe(process.pid);
    await l.release();
    // The takeover says whose lock it took (lock.stale), then that it holds it (lock.taken).
    expect(lines.map((x) => x.event)).toEqual(['lock.stale', 'lock.taken']);
    expect(String(lines[0]?.['owner'])).toContain(`pid ${pid}`);
    expect(lines[1]).toMatchObject({ job: 'j', generation: 1, command: 'new' });
  });

  it('logs lock.taken only when the lock was free or released', async () => {
    const p = lockPath();
    const { logger, lines } = capture();
    const a = new JobLock('j', p, { logger });
    await a.acquire('first');
    await a.release();
    const b = new JobLock('j', p, { logger });
    await b.acquire('second');
    await b.release();
    expect(lines.map((x) => [x.event, x['generation']])).toEqual([
      ['lock.taken', 1],
      ['lock.taken', 2],
    ]);
  });

  it('does not take over a live lock on another host until its heartbeat is stale', async () => {
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
    await expect(new JobLock('j', p, { staleAfterMs: 60_000 }).acquire('new')).rejects.toThrowError(/locked/);
    writeFileSync(p, JSON.stringify({ ...owner, heartbeatAt: new Date(Date.now() - 120_000).toISOString() }));
    const l = new JobLock('j', p, { staleAfterMs: 60_000 });
    await l.acquire('new');
    await l.release();
  });

  it('counts a claim of another KRANGE_HOST_ID as another host: judged by its heartbeat, not its pid', async () => {
    const p = lockPath();
    const before = process.env['KRANGE_HOST_ID'];
    try {
      process.env['KRANGE_HOST_ID'] = 'host-a';
      const a = new JobLock('j', p, { staleAfterMs: 60_000 });
      await a.acquire('on host a');
      expect(JSON.parse(readFileSync(p, 'utf8')).host).toBe('host-a');
      // Same kernel, same live pid, but another host id: a fresh heartbeat blocks it.
      process.env['KRANGE_HOST_ID'] = 'host-b';
      await expect(new JobLock('j', p, { staleAfterMs: 60_000 }).acquire('on host b')).rejects.toThrowError(
        /locked by on host a \(pid \d+ on host-a/,
      );
      // Once the heartbeat is older than staleAfterMs, host b takes over although the pid lives.
      const b = new JobLock('j', p, { staleAfterMs: 0 });
      await new Promise((r) => setTimeout(r, 5));
      await b.acquire('on host b');
      expect(b.generation).toBe(2);
      await expect(a.assertHeld('commit')).rejects.toThrowError(/generation 1, but generation 2/);
      await a.release();
      await b.release();
    } finally {
      if (before === undefined) delete process.env['KRANGE_HOST_ID'];
      else process.env['KRANGE_HOST_ID'] = before;
    }
  });

  it('reads the lease TTL from KRANGE_LEASE_TTL_MS (120 s by default) and refuses a bad value', () => {
    expect(leaseTtlMs({})).toBe(120_000);
    expect(leaseTtlMs({ KRANGE_LEASE_TTL_MS: '4000' })).toBe(4000);
    for (const bad of ['abc', '500', '-1', '1.5']) {
      try {
        leaseTtlMs({ KRANGE_LEASE_TTL_MS: bad });
        expect.unreachable();
      } catch (err) {
        expect(isKrangeError(err, 'KRANGE_CONFIG')).toBe(true);
        expect((err as Error).message).toContain(`KRANGE_LEASE_TTL_MS='${bad}'`);
      }
    }
  });

  it('takes over a holder on another host once its heartbeat is older than the TTL', async () => {
    const p = lockPath();
    const a = new JobLock('j', p, { staleAfterMs: 60_000 });
    await a.acquire('first');
    const claim = join(p, '..', 'lock-generations', '1.json');
    const record = JSON.parse(readFileSync(claim, 'utf8'));
    // The holder becomes another host's, last heard from 30 s ago: alive for a 60 s lease, gone for 20 s.
    writeFileSync(
      claim,
      JSON.stringify({
        ...record,
        host: 'elsewhere',
        heartbeatAt: new Date(Date.now() - 30_000).toISOString(),
      }),
    );
    const patient = new JobLock('j', p, { staleAfterMs: 60_000 });
    await expect(patient.acquire('second')).rejects.toThrow(/elsewhere/);
    const quick = new JobLock('j', p, { staleAfterMs: 20_000 });
    await quick.acquire('third');
    expect(quick.generation).toBe(2);
    await expect(a.assertHeld('commit')).rejects.toThrow(/generation 2/);
    await quick.release();
    await a.release();
  });
});
