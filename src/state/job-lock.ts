// One runner per job. The lock is a sequence of generations: `lock-generations/<g>.json`, each
// created exclusively with link(2) from a complete temporary file, so for every generation exactly
// one contender wins and nobody ever reads a half-written claim. The holder is the newest
// generation unless it was released or its owner is provably gone (on this host its pid is dead or
// reused, told apart by its start time; on another host its heartbeat is older than staleAfterMs).
// Taking over means claiming generation g+1: two contenders cannot both get it. The generation is
// the fencing token: a holder that finds a newer generation lost the lock and must not commit.
// `lock.json` mirrors the current holder for people and scripts (present while held).

import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import { writeFileAtomic } from './atomic-write.ts';

const LOCK_VERSION = 1;

/** How long another host's holder may go without a heartbeat before it is presumed gone (ms). */
export const LEASE_TTL_VARIABLE = 'KRANGE_LEASE_TTL_MS';
const DEFAULT_LEASE_TTL_MS = 120_000;

/** KRANGE_LEASE_TTL_MS, else 120 s: a takeover waits this long after the holder's last heartbeat. */
export function leaseTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LEASE_TTL_VARIABLE];
  if (raw === undefined || raw === '') return DEFAULT_LEASE_TTL_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1000) {
    throw Errors.config(`${LEASE_TTL_VARIABLE}='${raw}' is not a whole number of milliseconds (>= 1000)`);
  }
  return n;
}

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

/** A claim of one generation (also the content of lock.json). */
export interface LockRecord extends LockOwner {
  version: number;
  /** Monotonically increasing per job: the fencing token. */
  generation: number;
  /** Set by release(): the next contender takes the next generation at once. */
  released?: boolean;
}

export interface JobLockOptions {
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** Where lock.taken and lock.stale go (none: silent, e.g. for read-only views). */
  logger?: Logger;
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

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class JobLock {
  private timer: NodeJS.Timeout | undefined;
  private owner: LockRecord | undefined;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly claims: string;
  private readonly logger: Logger | undefined;

  constructor(
    readonly job: string,
    readonly path: string,
    opts: JobLockOptions = {},
  ) {
    this.staleAfterMs = opts.staleAfterMs ?? leaseTtlMs();
    // Several heartbeats per lease, so one slow write does not let the lease lapse.
    this.heartbeatMs = opts.heartbeatMs ?? Math.min(10_000, Math.floor(this.staleAfterMs / 4));
    this.claims = join(dirname(path), 'lock-generations');
    this.logger = opts.logger;
  }

  /** The generation this process holds (its fencing token), if it holds the lock. */
  get generation(): number | undefined {
    return this.owner?.generation;
  }

  /** The mirror file: who holds the lock now (or held it last, if it crashed). */
  readOwner(): LockOwner | undefined {
    return readJson<LockOwner>(this.path);
  }

  private claimPath(g: number): string {
    return join(this.claims, `${g}.json`);
  }

  private newestGeneration(): number | undefined {
    if (!existsSync(this.claims)) return undefined;
    let top: number | undefined;
    for (const f of readdirSync(this.claims)) {
      const m = /^(\d+)\.json$/.exec(f);
      if (m?.[1] !== undefined) top = Math.max(top ?? 0, Number(m[1]));
    }
    return top;
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

  /** The live holder that blocks us, if any. */
  private blocker(top: number | undefined): LockOwner | undefined {
    if (top === undefined) {
      // No generation yet: a lock.json written by an older krange is still respected.
      const legacy = this.readOwner();
      return legacy !== undefined && typeof legacy.pid === 'number' && !this.isStale(legacy)
        ? legacy
        : undefined;
    }
    const claim = readJson<LockRecord>(this.claimPath(top));
    // Claims are linked complete; an unreadable one was damaged on disk and has no live owner.
    if (claim === undefined || claim.released === true || this.isStale(claim)) return undefined;
    return claim;
  }

  /** The claim of the live holder (with its generation), if a runner holds the job now. */
  liveHolder(): LockRecord | undefined {
    const top = this.newestGeneration();
    if (top === undefined) return undefined;
    return this.blocker(top) === undefined ? undefined : readJson<LockRecord>(this.claimPath(top));
  }

  /** Takes the lock or throws KRANGE_LOCKED naming the owner. */
  acquire(command: string): void {
    mkdirSync(this.claims, { recursive: true });
    for (let attempt = 0; attempt < 5; attempt++) {
      const top = this.newestGeneration();
      const holder = this.blocker(top);
      if (holder !== undefined) throw Errors.locked(this.job, describeOwner(holder));
      const now = new Date().toISOString();
      const record: LockRecord = {
        version: LOCK_VERSION,
        generation: (top ?? 0) + 1,
        host: hostname(),
        pid: process.pid,
        pidStart: processStart(process.pid),
        token: randomUUID(),
        acquiredAt: now,
        heartbeatAt: now,
        command,
      };
      if (this.claim(record)) {
        // Taking over from a holder that is gone (it crashed, was killed, or its host went away).
        const previous: (LockOwner & { generation?: number; released?: boolean }) | undefined =
          top === undefined ? this.readOwner() : readJson<LockRecord>(this.claimPath(top));
        if (previous !== undefined && previous.released !== true)
          this.logger?.warn(
            {
              event: LogEvents.lockStale,
              job: this.job,
              generation: previous.generation,
              owner: describeOwner(previous),
            },
            `took over the lock of job '${this.job}' from ${describeOwner(previous)}, which is gone`,
          );
        this.logger?.debug({
          event: LogEvents.lockTaken,
          job: this.job,
          generation: record.generation,
          command,
        });
        this.owner = record;
        writeFileAtomic(this.path, `${JSON.stringify(record, null, 2)}\n`);
        this.prune(record.generation);
        this.startHeartbeat();
        return;
      }
      // Another contender won this generation: look again (it now blocks us, or already left).
    }
    const top = this.newestGeneration();
    const holder = top === undefined ? undefined : readJson<LockRecord>(this.claimPath(top));
    throw Errors.locked(this.job, holder ? describeOwner(holder) : 'another process');
  }

  /** link(2) fails when the target exists: exactly one contender creates each generation. */
  private claim(record: LockRecord): boolean {
    const tmp = join(this.claims, `.claim-${process.pid}-${record.token}`);
    writeFileAtomic(tmp, `${JSON.stringify(record, null, 2)}\n`);
    try {
      linkSync(tmp, this.claimPath(record.generation));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Old generations are history only; a few are kept for people reading the directory. */
  private prune(current: number): void {
    for (const f of readdirSync(this.claims)) {
      const m = /^(\d+)\.json$/.exec(f);
      if (m?.[1] !== undefined && Number(m[1]) < current - 3) rmSync(join(this.claims, f), { force: true });
      else if (f.startsWith('.claim-')) {
        // A contender killed between writing and linking its claim leaves this behind.
        const p = join(this.claims, f);
        const st = statSync(p, { throwIfNoEntry: false });
        if (st !== undefined && Date.now() - st.mtimeMs > 60_000) rmSync(p, { force: true });
      }
    }
  }

  /** Throws KRANGE_FENCED when a newer generation took the lock over (this holder was presumed gone). */
  assertHeld(what: string): void {
    const mine = this.owner?.generation;
    const top = this.newestGeneration();
    if (mine === undefined || top !== mine) {
      const holder = top === undefined ? undefined : readJson<LockRecord>(this.claimPath(top));
      throw Errors.fenced(this.job, what, mine ?? 0, top ?? 0, holder ? describeOwner(holder) : 'nobody');
    }
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      if (this.owner === undefined || this.newestGeneration() !== this.owner.generation) return;
      this.owner = { ...this.owner, heartbeatAt: new Date().toISOString() };
      const text = `${JSON.stringify(this.owner, null, 2)}\n`;
      writeFileAtomic(this.claimPath(this.owner.generation), text);
      writeFileAtomic(this.path, text);
    }, this.heartbeatMs);
    this.timer.unref();
  }

  release(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const mine = this.owner;
    if (mine === undefined) return;
    this.owner = undefined;
    if (this.newestGeneration() !== mine.generation) return;
    writeFileAtomic(
      this.claimPath(mine.generation),
      `${JSON.stringify({ ...mine, released: true }, null, 2)}\n`,
    );
    if (readJson<LockRecord>(this.path)?.token === mine.token) rmSync(this.path, { force: true });
  }
}
