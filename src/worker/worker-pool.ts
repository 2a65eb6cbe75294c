// The driver side of the worker-thread pool: starts N workers (each loads the job), hands out
// tasks, retries an attempt that failed retriably (the error's `retriable` flag, retry.ts's
// backoff), replaces a worker that died, and on a failure it will not retry cancels the rest and
// waits for them to stop before reporting it.

import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { deserializeError, Errors, type KrangeError } from '../errors.ts';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { Schema } from '../job/schema.ts';
import { LogEvents } from '../log-events.ts';
import { type OffsetRange, rangeToJson } from '../offset-range.ts';
import { backoffDelay } from '../retry.ts';
import type { DriverMessage, TaskFence, TaskResult, WorkerInit, WorkerMessage } from './messages.ts';

export interface PoolTask {
  taskId: string;
  range: OffsetRange;
  /** The attempt number of its first run here (an executor passes BullMQ's); default 1. */
  firstAttempt?: number;
  /** The runner's fencing token, checked by the task before it moves or publishes final output. */
  fence?: TaskFence;
}

/** What a caller of run() hears about its tasks (a warm pool serves a new caller each iteration). */
export interface PoolHooks {
  onProgress?: (taskId: string, records: number) => void;
  onTaskDone?: (result: TaskResult) => void;
  /** An attempt was handed to a worker (progress file, busy-worker gauge). */
  onTaskStart?: (taskId: string, attempt: number) => void;
  /** An attempt failed; `retried` tells whether another attempt follows (retry and sink-error counters). */
  onAttemptFailed?: (taskId: string, err: KrangeError, retried: boolean) => void;
}

export interface PoolOptions extends PoolHooks {
  modulePath: string;
  /** The driver's compiled job module (LoadedJob.compiled), imported by the workers. */
  compiled?: string | false;
  endpoints: ServiceEndpoints;
  /** The job's resolved schema, handed to the workers (a derived schema is resolved once, by the driver). */
  schema?: Schema;
  size: number;
  /** Attempts per task (>= 1). */
  attempts: number;
  logger: Logger;
  /** The first wait before a retried attempt (doubles per attempt, up to 10 s, with jitter); default 500 ms. */
  backoffMs?: number;
}

/** The wait after a task's `failedAttempt`-th failed attempt: 500 ms doubling to 10 s, jittered. */
export function taskBackoff(failedAttempt: number, firstMs = 500): number {
  return backoffDelay(failedAttempt - 1, firstMs, 10_000);
}

/**
 * The pool's decision after a failed attempt: retry (after a wait) when the error is retriable and
 * attempts are left, else fail with it (wrapped in KRANGE_TASK_FAILED when attempts ran out).
 */
export function afterFailedAttempt(
  taskId: string,
  err: KrangeError,
  attempt: number,
  attempts: number,
  firstBackoffMs?: number,
): { retryInMs: number } | { fail: KrangeError } {
  if (!err.retriable) return { fail: err };
  if (attempt >= attempts)
    return { fail: err.code === 'KRANGE_TASK_FAILED' ? err : Errors.taskFailed(taskId, attempt, err) };
  return { retryInMs: taskBackoff(attempt, firstBackoffMs) };
}

// The compiled entry beside this module in dist/: workers start from plain JavaScript only (krange
// run from its TypeScript sources, as under vitest, starts workers through the CLI instead).
const ENTRY = fileURLToPath(new URL('./worker-entry.js', import.meta.url));

interface Slot {
  index: number;
  worker: Worker;
  busy: { task: PoolTask; attempt: number } | undefined;
  /** The thread is gone; its replacement takes the slot's place once ready. */
  exited?: boolean;
}

type Listener = (slot: Slot, msg: WorkerMessage | { type: 'exit'; code: number }) => void;

export class WorkerPool {
  private slots: Slot[] = [];
  private listener: Listener | undefined;
  private closing = false;
  /** A thread died while no run was listening: nobody replaced it (see `intact`). */
  private lostIdle = false;

  private constructor(private readonly opts: PoolOptions) {}

  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    try {
      await Promise.all(Array.from({ length: opts.size }, (_, i) => pool.spawn(i)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** The worker threads' ids (`threadId`), by slot: a warm pool keeps the same ones between runs. */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** False once a thread died between runs (a run replaces the threads that die during it). */
  get intact(): boolean {
    return !this.lostIdle && !this.closing && this.slots.every((s) => !s.exited);
  }

  private spawn(index: number): Promise<Slot> {
    const init: WorkerInit = {
      modulePath: this.opts.modulePath,
      endpoints: this.opts.endpoints,
      workerIndex: index,
      ...(this.opts.compiled === undefined ? {} : { compiled: this.opts.compiled }),
      ...(this.opts.schema === undefined ? {} : { schema: this.opts.schema }),
    };
    // Workers allocate several short-lived objects per record (decoded JSON, rows, Buffers): with
    // V8's default 16 MiB semi-spaces they scavenge constantly and promote rows that die soon after.
    // 32 MiB semi-spaces (96 MB young generation), measured (BENCHMARKS.md):
    // W1 at 4M: wall -4.5%, CPU -3.7%, peak RSS 762 -> 859 MiB.
    const worker = new Worker(ENTRY, {
      workerData: init,
      stderr: false,
      stdout: false,
      resourceLimits: { maxYoungGenerationSizeMb: 96 },
    });
    const slot: Slot = { index, worker, busy: undefined };
    return new Promise<Slot>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: WorkerMessage) => {
        if (!ready) {
          if (msg.type === 'ready') {
            ready = true;
            this.slots[index] = slot;
            resolve(slot);
          } else if (msg.type === 'init-failed') reject(deserializeError(msg.error));
          return;
        }
        this.listener?.(slot, msg);
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else this.opts.logger.error({ worker: index, err }, 'worker thread error');
      });
      worker.on('exit', (code) => {
        if (!ready) reject(Errors.config(`worker ${index} exited during start-up (code ${code})`));
        else if (this.slots[index] !== slot) return;
        else if (this.listener !== undefined) this.listener(slot, { type: 'exit', code });
        else if (!this.closing) {
          slot.exited = true;
          this.lostIdle = true;
        }
      });
    });
  }

  private send(slot: Slot, msg: DriverMessage): void {
    slot.worker.postMessage(msg);
  }

  /**
   * Runs every task; resolves with all results or rejects with the first permanent failure. An abort
   * of `signal` rejects at once with KRANGE_ABORTED: running tasks are told to cancel and close()
   * stops their workers, so nothing they were writing gets committed. `runHooks` replace the pool's
   * own hooks for this run (a warm pool serves each iteration's progress and metrics in turn).
   */
  run(
    iteration: number,
    tasks: PoolTask[],
    signal?: AbortSignal,
    runHooks?: PoolHooks,
  ): Promise<TaskResult[]> {
    const { logger } = this.opts;
    const hooks: PoolHooks = runHooks ?? this.opts;
    const queue = tasks.map((task) => ({ task, attempt: task.firstAttempt ?? 1 }));
    const results = new Map<string, TaskResult>();
    const timers = new Set<NodeJS.Timeout>();
    let failure: KrangeError | undefined;

    return new Promise<TaskResult[]>((resolve, reject) => {
      const inFlight = (): number => this.slots.filter((s) => s.busy !== undefined).length;
      const settle = (): void => {
        if (failure !== undefined) {
          if (inFlight() === 0) {
            for (const t of timers) clearTimeout(t);
            this.listener = undefined;
            signal?.removeEventListener('abort', onAbort);
            reject(failure);
          }
          return;
        }
        if (results.size === tasks.length) {
          this.listener = undefined;
          signal?.removeEventListener('abort', onAbort);
          resolve(tasks.map((t) => results.get(t.taskId)!));
          return;
        }
        for (const slot of this.slots) {
          // A dead thread's retried task must wait for the new thread, not go to the dead one.
          if (slot.busy !== undefined || slot.exited) continue;
          const next = queue.shift();
          if (next === undefined) break;
          slot.busy = next;
          logger.debug({
            event: LogEvents.taskStarted,
            task: next.task.taskId,
            attempt: next.attempt,
            worker: slot.index,
          });
          hooks.onTaskStart?.(next.task.taskId, next.attempt);
          this.send(slot, {
            type: 'task',
            iteration,
            taskId: next.task.taskId,
            range: rangeToJson(next.task.range),
            attempt: next.attempt,
            ...(next.task.fence === undefined ? {} : { fence: next.task.fence }),
          });
        }
      };

      const fail = (err: KrangeError): void => {
        if (failure === undefined) {
          failure = err;
          queue.length = 0;
          for (const s of this.slots)
            if (s.busy) this.send(s, { type: 'cancel', taskId: s.busy.task.taskId });
        }
      };

      const attemptFailed = (job: { task: PoolTask; attempt: number }, err: KrangeError): void => {
        if (failure !== undefined) return;
        const next = afterFailedAttempt(
          job.task.taskId,
          err,
          job.attempt,
          this.opts.attempts,
          this.opts.backoffMs,
        );
        hooks.onAttemptFailed?.(job.task.taskId, err, 'retryInMs' in next);
        if ('fail' in next) {
          logger.error(
            {
              event: LogEvents.taskFailed,
              task: job.task.taskId,
              attempt: job.attempt,
              code: err.code,
              retriable: err.retriable,
            },
            err.message,
          );
          fail(next.fail);
          return;
        }
        const delay = next.retryInMs;
        logger.warn(
          {
            event: LogEvents.taskRetry,
            task: job.task.taskId,
            attempt: job.attempt,
            code: err.code,
            retryInMs: delay,
          },
          `task failed, retrying: ${err.message}`,
        );
        const timer = setTimeout(() => {
          timers.delete(timer);
          queue.unshift({ task: job.task, attempt: job.attempt + 1 });
          settle();
        }, delay);
        timers.add(timer);
      };

      this.listener = (slot, msg) => {
        const job = slot.busy;
        switch (msg.type) {
          case 'progress':
            hooks.onProgress?.(msg.taskId, msg.records);
            return;
          case 'done':
            slot.busy = undefined;
            results.set(msg.taskId, msg.result);
            logger.debug({ event: LogEvents.taskDone, task: msg.taskId, records: msg.result.records });
            hooks.onTaskDone?.(msg.result);
            break;
          case 'failed':
            slot.busy = undefined;
            if (job) attemptFailed(job, deserializeError(msg.error));
            break;
          case 'exit':
            // The thread died (e.g. out of memory): its task is retried on a fresh worker.
            slot.busy = undefined;
            slot.exited = true;
            if (job) attemptFailed(job, Errors.workerExited(slot.index, msg.code, job.task.taskId));
            if (!this.closing) {
              void this.spawn(slot.index).then(settle, (err: unknown) => {
                fail(Errors.config(`cannot restart worker ${slot.index}: ${(err as Error).message}`));
                settle();
              });
              return;
            }
            break;
          default:
            return;
        }
        settle();
      };

      const onAbort = (): void => {
        fail(Errors.aborted(`iteration ${iteration} cancelled`));
        // Not waiting for the running tasks: the caller's close() stops their workers.
        for (const t of timers) clearTimeout(t);
        this.listener = undefined;
        reject(failure);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      settle();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.exited) {
              resolve();
              return;
            }
            const t = setTimeout(() => void s.worker.terminate().then(() => resolve()), 5000);
            s.worker.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            this.send(s, { type: 'shutdown' });
          }),
      ),
    );
    this.slots = [];
  }
}
