// One runner per job. The lock is a sequence of generations: `lock-generations/<g>.json`, each
// created exclusively with link(2) from a complete temporary file, so for every generation exactly
// one contender wins and nobody ever reads a half-written claim. The holder is the newest
// generation unless it was released or its owner is provably gone (on this host its pid is dead or
// reused, told apart by its start time; on another host its heartbeat is older than staleAfterMs).
// Taking over means claiming generation g+1: two contenders cannot both get it. The generation is
// the fencing token: a holder that finds a newer generation lost the lock and must not commit.
// `lock.json` mirrors the current holder for people and scripts (present while held).
// Everything goes through the job's StateBackend, so the lock is a lease in the same store as the
// state: `createExclusive` is link(2) on files (and an exclusive create on the other backends).
// `newestGeneration` / `assertStillHolder` are the cheap fencing check (one listing) that code
// about to make something final calls with the generation it runs under.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import { FileStateBackend } from './file-state-backend.ts';
import { hostId, joinKey, type StateBackend } from './state-backend.ts';

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

/** A claim of one generation (also the content of lock.json). `host` is hostId(): KRANGE_HOST_ID or the host name. */
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

/** Whether a process with this pid is alive on this host (EPERM: alive, another user's). */
export function pidAlive(pid: number): boolean {
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

async function readJson<T>(backend: StateBackend, key: string): Promise<T | undefined> {
  try {
    const text = await backend.read(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

const claimsKey = (dir: string) => joinKey(dir, 'lock-generations');
const claimKey = (dir: string, g: number) => joinKey(claimsKey(dir), `${g}.json`);

/** The generation numbers claimed so far (a listing of lock-generations/). */
async function generations(backend: StateBackend, dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const f of await backend.list(claimsKey(dir))) {
    const m = /^(\d+)\.json$/.exec(f);
    if (m?.[1] !== undefined) out.push(Number(m[1]));
  }
  return out;
}

/**
 * The newest lock generation of the job whose state folder is `dir` in `backend` (undefined when
 * nobody ever took the lock). One listing: cheap enough to call before every final step.
 */
export async function newestGeneration(backend: StateBackend, dir: string): Promise<number | undefined> {
  const all = await generations(backend, dir);
  return all.length === 0 ? undefined : Math.max(...all);
}

/**
 * Fencing: throws KRANGE_FENCED unless `generation` (the token this code runs under) is still the
 * newest generation of the job's lock, i.e. nobody took the job over since it was claimed.
 */
export async function assertStillHolder(
  backend: StateBackend,
  dir: string,
  job: string,
  generation: number,
  what: string,
): Promise<void> {
  const top = await newestGeneration(backend, dir);
  if (top === generation) return;
  const holder = top === undefined ? undefined : await readJson<LockRecord>(backend, claimKey(dir, top));
  throw Errors.fenced(job, what, generation, top ?? 0, holder ? describeOwner(holder) : 'nobody');
}

export class JobLock {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private owner: LockRecord | undefined;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly logger: Logger | undefined;
  private readonly backend: StateBackend;
  /** The job's folder in the backend; lock.json and lock-generations/ are inside. */
  private readonly dir: string;
  private readonly mirror: string;

  /**
   * `where` is the job's state folder in a backend, or (files only) the path of its lock.json,
   * whose folder then holds lock-generations/.
   */
  constructor(
    readonly job: string,
    where: string | { backend: StateBackend; dir: string },
    opts: JobLockOptions = {},
  ) {
    this.staleAfterMs = opts.staleAfterMs ?? leaseTtlMs();
    // Several heartbeats per lease, so one slow write does not let the lease lapse.
    this.heartbeatMs = opts.heartbeatMs ?? Math.min(10_000, Math.floor(this.staleAfterMs / 4));
    this.logger = opts.logger;
    if (typeof where === 'string') {
      this.backend = new FileStateBackend(dirname(where));
      this.dir = '';
      this.mirror = basename(where);
    } else {
      this.backend = where.backend;
      this.dir = where.dir;
      this.mirror = joinKey(where.dir, 'lock.json');
    }
  }

  /** The generation this process holds (its fencing token), if it holds the lock. */
  get generation(): number | undefined {
    return this.owner?.generation;
  }

  /** The mirror file: who holds the lock now (or held it last, if it crashed). */
  readOwner(): Promise<LockOwner | undefined> {
    return readJson<LockOwner>(this.backend, this.mirror);
  }

  private readClaim(g: number): Promise<LockRecord | undefined> {
    return readJson<LockRecord>(this.backend, claimKey(this.dir, g));
  }

  /** The newest generation claimed (undefined when the lock was never taken). */
  newestGeneration(): Promise<number | undefined> {
    return newestGeneration(this.backend, this.dir);
  }

  /** Whether the recorded owner is provably gone. */
  isStale(o: LockOwner, now = Date.now()): boolean {
    if (o.host === hostId()) {
      if (!pidAlive(o.pid)) return true;
      const start = processStart(o.pid);
      return o.pidStart !== null && start !== null && start !== o.pidStart;
    }
    return now - Date.parse(o.heartbeatAt) > this.staleAfterMs;
  }

  /** The live holder that blocks us, if any. */
  private async blocker(top: number | undefined): Promise<LockOwner | undefined> {
    if (top === undefined) {
      // No generation yet: a lock.json written by an older krange is still respected.
      const legacy = await this.readOwner();
      return legacy !== undefined && typeof legacy.pid === 'number' && !this.isStale(legacy)
        ? legacy
        : undefined;
    }
    const claim = await this.readClaim(top);
    // Claims are created complete; an unreadable one was damaged and has no live owner.
    if (claim === undefined || claim.released === true || this.isStale(claim)) return undefined;
    return claim;
  }

  /** The claim of the live holder (with its generation), if a runner holds the job now. */
  async liveHolder(): Promise<LockRecord | undefined> {
    const top = await this.newestGeneration();
    if (top === undefined) return undefined;
    return (await this.blocker(top)) === undefined ? undefined : await this.readClaim(top);
  }

  /** Takes the lock or throws KRANGE_LOCKED naming the owner. */
  async acquire(command: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const top = await this.newestGeneration();
      const holder = await this.blocker(top);
      if (holder !== undefined) throw Errors.locked(this.job, describeOwner(holder));
      const now = new Date().toISOString();
      const record: LockRecord = {
        version: LOCK_VERSION,
        generation: (top ?? 0) + 1,
        host: hostId(),
        pid: process.pid,
        pidStart: processStart(process.pid),
        token: randomUUID(),
        acquiredAt: now,
        heartbeatAt: now,
        command,
      };
      if (await this.claim(record)) {
        // Taking over from a holder that is gone (it crashed, was killed, or its host went away).
        const previous: (LockOwner & { generation?: number; released?: boolean }) | undefined =
          top === undefined ? await this.readOwner() : await this.readClaim(top);
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
        await this.backend.replace(this.mirror, `${JSON.stringify(record, null, 2)}\n`);
        await this.prune(record.generation);
        this.startHeartbeat();
        return;
      }
      // Another contender won this generation: look again (it now blocks us, or already left).
    }
    const top = await this.newestGeneration();
    const holder = top === undefined ? undefined : await this.readClaim(top);
    throw Errors.locked(this.job, holder ? describeOwner(holder) : 'another process');
  }

  /** The backend's exclusive create: exactly one contender creates each generation. */
  private claim(record: LockRecord): Promise<boolean> {
    return this.backend.createExclusive(
      claimKey(this.dir, record.generation),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  /** Old generations are history only; a few are kept for people reading the store. */
  private async prune(current: number): Promise<void> {
    for (const g of await generations(this.backend, this.dir))
      if (g < current - 3) await this.backend.remove(claimKey(this.dir, g));
  }

  /** Throws KRANGE_FENCED when a newer generation took the lock over (this holder was presumed gone). */
  async assertHeld(what: string): Promise<void> {
    const mine = this.owner?.generation;
    if (mine === undefined) {
      const top = await this.newestGeneration();
      const holder = top === undefined ? undefined : await this.readClaim(top);
      throw Errors.fenced(this.job, what, 0, top ?? 0, holder ? describeOwner(holder) : 'nobody');
    }
    await assertStillHolder(this.backend, this.dir, this.job, mine, what);
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      if (this.beating !== undefined) return;
      this.beating = this.beat()
        .catch((err: unknown) =>
          this.logger?.warn(
            { job: this.job, err: (err as Error).message },
            'cannot renew the lock heartbeat',
          ),
        )
        .finally(() => {
          this.beating = undefined;
        });
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const mine = this.owner;
    if (mine === undefined || (await this.newestGeneration()) !== mine.generation) return;
    if (this.owner !== mine) return;
    this.owner = { ...mine, heartbeatAt: new Date().toISOString() };
    const text = `${JSON.stringify(this.owner, null, 2)}\n`;
    await this.backend.replace(claimKey(this.dir, mine.generation), text);
    await this.backend.replace(this.mirror, text);
  }

  async release(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const mine = this.owner;
    if (mine === undefined) return;
    this.owner = undefined;
    // A heartbeat in flight must not rewrite the claim after it is marked released.
    await this.beating;
    if ((await this.newestGeneration()) !== mine.generation) return;
    await this.backend.replace(
      claimKey(this.dir, mine.generation),
      `${JSON.stringify({ ...mine, released: true }, null, 2)}\n`,
    );
    if ((await readJson<LockRecord>(this.backend, this.mirror))?.token === mine.token)
      await this.backend.remove(this.mirror);
  }
}
