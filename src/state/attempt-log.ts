// The attempts at an iteration: state/<job>/attempts/<n>.json, one entry per run that started
// executing plan n (versioned JSON, rewritten atomically). A run records its attempt before its
// tasks start and its outcome when it ends (committed, aborted by a signal, failed); a run killed
// outright cannot, so its attempt stays `running` until the next run, which takes the lock and
// records it as `killed`. `krange state` reads these to tell running, aborted, killed, failed and
// pending (never attempted) iterations apart. Directories of older releases have no attempts/.

import { z } from 'zod';
import { Errors } from '../errors.ts';
import { hostId, joinKey, type StateBackend } from './state-backend.ts';

const ATTEMPTS_VERSION = 1;

const attemptJson = z.object({
  attempt: z.number().int().min(1),
  command: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** The job-lock generation the attempt ran under: alive while that generation holds the lock. */
  lockGeneration: z.number().int().nullable(),
  startedAt: z.string(),
  outcome: z.enum(['running', 'committed', 'aborted', 'failed', 'killed']),
  /** When it ended; for `killed`, when the next run found it dead. */
  endedAt: z.string().nullable(),
  /** The signal or abort reason, the error code and message, or who found it killed. */
  reason: z.string().nullable(),
});

const attemptsFile = z.object({
  version: z.literal(ATTEMPTS_VERSION),
  job: z.string(),
  iteration: z.number().int().min(0),
  attempts: z.array(attemptJson),
});

export type Attempt = z.infer<typeof attemptJson>;
export type AttemptOutcome = Attempt['outcome'];

export class AttemptLog {
  constructor(
    readonly job: string,
    readonly backend: StateBackend,
    /** The key of the job's `attempts/` folder. */
    readonly dir: string,
  ) {}

  private key(n: number): string {
    return joinKey(this.dir, `${n}.json`);
  }

  /** The attempts at iteration n, oldest first ([] when none was recorded). */
  async read(n: number): Promise<Attempt[]> {
    const key = this.key(n);
    const text = await this.backend.read(key);
    if (text === undefined) return [];
    const p = this.backend.describe(key);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw Errors.stateCorrupt(p, (err as Error).message);
    }
    const version = (raw as { version?: unknown } | null)?.version;
    if (version !== ATTEMPTS_VERSION) throw Errors.stateVersion(p, version);
    const parsed = attemptsFile.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw Errors.stateCorrupt(p, `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
    }
    return parsed.data.attempts;
  }

  private async write(n: number, attempts: Attempt[]): Promise<void> {
    await this.backend.replace(
      this.key(n),
      `${JSON.stringify({ version: ATTEMPTS_VERSION, job: this.job, iteration: n, attempts }, null, 2)}\n`,
    );
  }

  /**
   * Records a new attempt at n by this process (which holds the lock). Earlier attempts still
   * marked running were killed: nothing else can hold the lock now. Returns the attempt number and
   * the attempts found killed.
   */
  async start(
    n: number,
    command: string,
    lockGeneration: number | undefined,
  ): Promise<{ attempt: number; killed: Attempt[] }> {
    const now = new Date().toISOString();
    const killed: Attempt[] = [];
    const attempts = (await this.read(n)).map((a): Attempt => {
      if (a.outcome !== 'running') return a;
      killed.push(a);
      return {
        ...a,
        outcome: 'killed',
        endedAt: now,
        reason: `found dead by the run that took lock generation ${lockGeneration ?? '?'} (pid ${process.pid} on ${hostId()})`,
      };
    });
    const attempt = attempts.length + 1;
    attempts.push({
      attempt,
      command,
      host: hostId(),
      pid: process.pid,
      lockGeneration: lockGeneration ?? null,
      startedAt: now,
      outcome: 'running',
      endedAt: null,
      reason: null,
    });
    await this.write(n, attempts);
    return { attempt, killed };
  }

  /** Records how attempt `attempt` at n ended. */
  async finish(
    n: number,
    attempt: number,
    outcome: Exclude<AttemptOutcome, 'running'>,
    reason: string | null,
  ): Promise<void> {
    const attempts = (await this.read(n)).map((a) =>
      a.attempt === attempt ? { ...a, outcome, endedAt: new Date().toISOString(), reason } : a,
    );
    await this.write(n, attempts);
  }
}
