// `krange schedule`: runs each job's iteration on its cron schedule (node-cron, optional timezone).
// A job never overlaps itself: a tick that comes while its iteration still runs is skipped and
// logged (schedule.skipped), never queued. The job lock still keeps a second daemon (or a manual
// `krange run`) out: that tick is logged as skipped too. SIGTERM/SIGINT stop the ticks, give the
// running iterations `graceMs` to finish, then abort them uncommitted (a second signal aborts at
// once); the daemon then returns, so the process exits 0. `once` runs every job one time and returns
// (for system cron or a Kubernetes CronJob), throwing the first failure so the exit code shows it.
// Each job's worker threads stay warm between its iterations (warm-pools.ts) unless warmWorkers is
// false; they are closed once the running iterations finished or were aborted.

import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { Errors, isKrangeError, toKrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import { finishOrAbort, stopRequests } from './graceful-stop.ts';
import { type IterationOutcome, runIteration } from './run-iteration.ts';
import { WarmPools } from './warm-pools.ts';

export interface SchedulerOptions {
  /** Jobs with a `schedule`; others are refused. */
  jobs: LoadedJob[];
  logger: Logger;
  /** Run every job once, then return. */
  once: boolean;
  /** After SIGTERM/SIGINT, how long running iterations may take before they are aborted. */
  graceMs: number;
  /** Stops the scheduler like SIGTERM does (embedding, tests). */
  stop?: AbortSignal;
  /** Handle SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  stateRoot?: string;
  workers?: number;
  /**
   * Keep each job's worker threads between its iterations (default true; `--once` never does). Off,
   * every iteration starts and stops its own pool, as `krange run` does.
   */
  warmWorkers?: boolean;
}

interface Running {
  started: number;
  iteration: number | undefined;
  abort: AbortController;
  done: Promise<RunResult>;
}

type RunResult = { ok: true; outcome: IterationOutcome } | { ok: false; error: unknown };

/** One scheduled job: its cron task and the iteration it is running, if any. */
class ScheduledJob {
  task: ScheduledTask | undefined;
  running: Running | undefined;
  readonly log: Logger;

  constructor(
    readonly job: LoadedJob,
    private readonly opts: SchedulerOptions,
    private readonly warm: WarmPools | undefined,
  ) {
    this.log = opts.logger.child({ job: job.spec.name });
  }

  get name(): string {
    return this.job.spec.name;
  }

  nextRun(): string | undefined {
    return this.task?.getNextRun()?.toISOString();
  }

  /** A cron tick: starts an iteration unless one is still running. */
  tick(): void {
    const r = this.running;
    if (r !== undefined) {
      Metrics.ticksSkipped.inc({ job: this.name, reason: 'running' });
      this.log.info(
        {
          event: LogEvents.scheduleSkipped,
          reason: 'running',
          iteration: r.iteration,
          runningMs: Date.now() - r.started,
          nextRun: this.nextRun(),
        },
        'previous iteration still running; tick skipped',
      );
      return;
    }
    void this.run();
  }

  /** Runs one iteration; never rejects (failures are logged and returned). */
  run(): Promise<RunResult> {
    // onPlanned may fire before runIteration returns (a resumed plan), so `running` exists first.
    const running = {
      started: Date.now(),
      iteration: undefined as number | undefined,
      abort: new AbortController(),
    };
    const done = runIteration(this.job, {
      logger: this.opts.logger,
      command: 'krange schedule',
      signal: running.abort.signal,
      onPlanned: (plan) => {
        running.iteration = plan.iteration;
      },
      ...(this.opts.stateRoot === undefined ? {} : { stateRoot: this.opts.stateRoot }),
      ...(this.opts.workers === undefined ? {} : { workers: this.opts.workers }),
      ...(this.warm === undefined ? {} : { warm: this.warm }),
    })
      .then((outcome): RunResult => {
        this.logOutcome(outcome);
        return { ok: true, outcome };
      })
      .catch((error: unknown): RunResult => {
        this.logFailure(error, running);
        return { ok: false, error };
      })
      .finally(() => {
        this.running = undefined;
      });
    this.running = Object.assign(running, { done });
    return done;
  }

  private logOutcome(o: IterationOutcome): void {
    const what =
      o.status === 'noop'
        ? 'nothing new'
        : `iteration ${o.iteration} ${o.status}${o.resumed ? ' (resumed)' : ''}: ${o.records} records`;
    this.log.info(
      {
        event: LogEvents.scheduleTick,
        iteration: o.iteration,
        status: o.status,
        records: o.records,
        rows: o.rows,
        durationMs: o.durationMs,
        nextRun: this.nextRun(),
        // Which warm threads ran it (none for an iteration without tasks, nor with --no-warm-workers).
        ...(o.tasks > 0 && this.warm !== undefined ? { pool: this.warm.current(this.name) } : {}),
      },
      `${what} in ${o.durationMs} ms`,
    );
  }

  private logFailure(error: unknown, r: Omit<Running, 'done'>): void {
    const err = toKrangeError(error);
    const base = { iteration: r.iteration, durationMs: Date.now() - r.started, nextRun: this.nextRun() };
    if (isKrangeError(error, 'KRANGE_LOCKED')) {
      Metrics.ticksSkipped.inc({ job: this.name, reason: 'locked' });
      this.log.warn({ event: LogEvents.scheduleSkipped, reason: 'locked', ...base }, err.message);
    } else if (isKrangeError(error, 'KRANGE_ABORTED')) {
      this.log.warn({ event: LogEvents.scheduleAborted, ...base }, 'iteration aborted; nothing committed');
    } else {
      this.log.error({ event: LogEvents.scheduleFailed, code: err.code, ...base }, err.message);
    }
  }
}

// Cron expression and timezone were checked when the job was loaded (job/options/schedule-options.ts).
function check(jobs: LoadedJob[]): void {
  if (jobs.length === 0) throw Errors.usage('no job to schedule; add schedule: { cron: "..." } to a job');
  for (const { spec, modulePath } of jobs) {
    if (spec.schedule === undefined) {
      throw Errors.config(
        `job '${spec.name}' has no schedule; add schedule: { cron: "..." } to ${modulePath}`,
      );
    }
  }
}

/** Waits for the running iterations, aborting those still running after the grace period. */
async function drain(jobs: ScheduledJob[], opts: SchedulerOptions, again: Promise<void>): Promise<void> {
  await Promise.all(
    jobs.map((j) => {
      const r = j.running;
      if (r === undefined) return undefined;
      return finishOrAbort(r.done, opts.graceMs, again, () => {
        j.log.warn(
          { event: LogEvents.scheduleAborted, iteration: r.iteration, graceMs: opts.graceMs },
          'still running after the grace period; aborting without committing',
        );
        r.abort.abort('krange schedule stopped; the grace period ended');
      });
    }),
  );
}

export async function runScheduler(opts: SchedulerOptions): Promise<void> {
  check(opts.jobs);
  const { logger } = opts;
  const warm = opts.once || opts.warmWorkers === false ? undefined : new WarmPools(logger);
  const jobs = opts.jobs.map((j) => new ScheduledJob(j, opts, warm));
  const stop = stopRequests(opts);
  let stopping = false;
  const announced = stop.stopped.then((reason) => {
    stopping = true;
    const running = jobs.filter((j) => j.running !== undefined).map((j) => j.name);
    logger.info(
      { event: LogEvents.scheduleStopping, reason, running, graceMs: opts.graceMs },
      running.length > 0
        ? `stopping; waiting up to ${opts.graceMs} ms for ${running.join(', ')}`
        : 'stopping',
    );
  });
  try {
    if (opts.once) {
      let firstFailure: unknown;
      for (const j of jobs) {
        if (stopping) break;
        const run = j.run();
        const result = await Promise.race([run, announced.then(() => undefined)]);
        if (result === undefined) {
          await drain([j], opts, stop.again);
          break;
        }
        if (!result.ok && !isKrangeError(result.error, 'KRANGE_LOCKED')) firstFailure ??= result.error;
      }
      if (firstFailure !== undefined) throw firstFailure;
      return;
    }
    for (const j of jobs) {
      const { cron, timezone } = j.job.spec.schedule!;
      j.task = createTask(cron, () => (stopping ? undefined : j.tick()), {
        name: j.name,
        ...(timezone === undefined ? {} : { timezone }),
      });
      j.task.on('execution:missed', (ctx) =>
        j.log.warn(
          { event: LogEvents.scheduleMissed, at: ctx.date.toISOString() },
          'tick missed (event loop blocked)',
        ),
      );
      await j.task.start();
      j.log.info(
        { event: LogEvents.scheduleStarted, cron, timezone: timezone ?? null, nextRun: j.nextRun() },
        `scheduled '${cron}'${timezone ? ` (${timezone})` : ''}`,
      );
    }
    await announced;
    for (const j of jobs) await j.task?.destroy();
    await drain(jobs, opts, stop.again);
    await warm?.close();
    logger.info({ event: LogEvents.scheduleStopped }, 'scheduler stopped');
  } finally {
    stop.dispose();
    for (const j of jobs) await j.task?.destroy();
    await warm?.close();
  }
}
