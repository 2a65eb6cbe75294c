// The driver's side of attempts/<n>.json (state/attempt-log.ts): records this run's attempt at a
// plan once it holds the lock, logs the earlier attempts it finds killed, and records how the
// attempt ended without ever hiding the iteration's own outcome or error.

import type { Logger } from 'pino';
import { isKrangeError, toKrangeError } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import type { AttemptLog } from '../state/attempt-log.ts';

export class AttemptRecorder {
  private current: { iteration: number; number: number } | undefined;

  constructor(
    private readonly attempts: AttemptLog,
    private readonly command: string,
    private readonly log: Logger,
  ) {}

  get iteration(): number | undefined {
    return this.current?.iteration;
  }

  /** Called under the lock, before the plan's tasks run. */
  async start(n: number, lockGeneration: number | undefined): Promise<void> {
    const started = await this.attempts.start(n, this.command, lockGeneration);
    for (const k of started.killed)
      this.log.warn(
        { event: LogEvents.attemptKilled, iteration: n, attempt: k.attempt, pid: k.pid, host: k.host },
        `attempt ${k.attempt} at iteration ${n} (${k.command}, pid ${k.pid} on ${k.host}, started ${k.startedAt}) was killed before it committed`,
      );
    this.current = { iteration: n, number: started.attempt };
  }

  committed(): Promise<void> {
    return this.finish('committed', null);
  }

  /** An iteration that threw: aborted (a signal, with its reason) or failed (with the error). */
  async ended(err: unknown, aborted: boolean, signal: AbortSignal | undefined): Promise<void> {
    // A fenced runner (or one another driver beat to the plan or commit) no longer holds the job:
    // the attempt log belongs to the other runner.
    if (isKrangeError(err, 'KRANGE_FENCED') || isKrangeError(err, 'KRANGE_ITERATION_TAKEN')) return;
    const reason: unknown = signal?.reason;
    const e = toKrangeError(err);
    if (aborted) await this.finish('aborted', typeof reason === 'string' ? reason : 'aborted');
    else await this.finish('failed', `${e.code}: ${e.message}`);
  }

  private async finish(outcome: 'committed' | 'aborted' | 'failed', reason: string | null): Promise<void> {
    const a = this.current;
    if (a === undefined) return;
    try {
      await this.attempts.finish(a.iteration, a.number, outcome, reason);
    } catch (err) {
      this.log.warn({ err, iteration: a.iteration }, `cannot record the attempt's outcome (${outcome})`);
    }
  }
}
