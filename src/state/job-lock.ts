// One runner per job: state/<job>/lock.json, created with O_EXCL, holding the owner's host, pid,
// process start time and a heartbeat. A lock is taken over only when its owner is provably gone:
// on this host, the pid is dead (or reused by another process, told apart by its start time); on
// another host, its heartbeat is older than staleAfterMs (it refreshes every heartbeatMs).

import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { Errors } from '../errors.ts';
import { writeFileAtomic } from './state-store.ts';

export interface LockOwner {
  host: string;
  pid: number;
  /** Process start time (Linux /proc ticks) to tell a reused pid from the owner. */
  pidStart: string | null;
  token: string;
  acquiredAt: string;
  heartbeatAt: string;
  command: string;
}

export interface JobLockOptions {
  heartbeatMs?: number;
  staleAfterMs?: number;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counted after the ')' that closes the command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeOwner(o: LockOwner): string {
  return `${o.command} (pid ${o.pid} on ${o.host}, since ${o.acquiredAt}, heartbeat ${o.heartbeatAt})`;
}

export class JobLock {
  private timer: NodeJS.Timeout | undefined;
  private owner: LockOwner | undefined;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;

  constructor(
    readonly job: string,
    readonly path: string,
    opts: JobLockOptions = {},
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 10_000;
    this.staleAfterMs = opts.staleAfterMs ?? 120_000;
  }

  readOwner(): LockOwner | undefined {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as LockOwner;
    } catch {
      return undefined;
    }
  }

  /** Whether the recorded owner is provably gone. */
  isStale(o: LockOwner, now = Date.now()): boolean {
    if (o.host === hostname()) {
      if (!pidAlive(o.pid)) return true;
      const start = processStart(o.pid);
      return o.pidStart !== null && start !== null && start !== o.pidStart;
    }
    return now - Date.parse(o.heartbeatAt) > this.staleAfterMs;
  }

  /** Takes the lock or throws KRANGE_LOCKED naming the owner. */
  acquire(command: string): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date().toISOString();
      const owner: LockOwner = {
        host: hostname(),
        pid: process.pid,
        pidStart: processStart(process.pid),
        token: randomUUID(),
        acquiredAt: now,
        heartbeatAt: now,
        command,
      };
      try {
        const fd = openSync(this.path, 'wx');
        try {
          writeSync(fd, `${JSON.stringify(owner, null, 2)}\n`);
        } finally {
          closeSync(fd);
        }
        this.owner = owner;
        this.startHeartbeat();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = this.readOwner();
      if (current === undefined) {
        // Being written or half-written by a crashed owner: give a writer a moment, then take it.
        if (attempt < 2) continue;
        rmSync(this.path, { force: true });
        continue;
      }
      if (!this.isStale(current)) throw Errors.locked(this.job, describeOwner(current));
      rmSync(this.path, { force: true });
    }
    const current = this.readOwner();
    throw Errors.locked(this.job, current ? describeOwner(current) : 'another process');
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      if (this.owner === undefined) return;
      const current = this.readOwner();
      if (current?.token !== this.owner.token) return;
      this.owner = { ...this.owner, heartbeatAt: new Date().toISOString() };
      writeFileAtomic(this.path, `${JSON.stringify(this.owner, null, 2)}\n`);
    }, this.heartbeatMs);
    this.timer.unref();
  }

  release(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.owner === undefined) return;
    if (existsSync(this.path) && this.readOwner()?.token === this.owner.token)
      rmSync(this.path, { force: true });
    this.owner = undefined;
  }
}
