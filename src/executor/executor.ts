// `krange executor`: a BullMQ Worker per loaded job takes task jobs from the job's queue and runs
// them on this process's worker threads, which stay warm between tasks and iterations. A task's
// result (counts, files, per-sink figures) is the BullMQ job's return value; a failure carries the
// serialised KrangeError, and a permanent one is an UnrecoverableError so BullMQ does not retry it.

import { availableParallelism } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { Errors, type KrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { schemaHash } from '../job/schema.ts';
import { LogEvents } from '../log-events.ts';
import { recordExecutorTask, recordWorkers } from '../metrics/batch-metrics.ts';
import { rangeFromJson } from '../offset-range.ts';
import type { TaskResultJson } from '../state/state-store.ts';
import { taskBackoff, WorkerPool } from '../worker/worker-pool.ts';
import {
  encodeFailure,
  QUEUE_PREFIX,
  queueConnection,
  type TaskJobData,
  taskQueueName,
} from './task-queue.ts';

export interface ExecutorOptions {
  jobs: LoadedJob[];
  logger: Logger;
  /** Worker threads per job (and tasks taken at a time); default: available parallelism. */
  threads?: number;
  /** How long a taken task stays locked without renewal before another executor may re-run it. */
  lockDurationMs?: number;
  /** How often this executor looks for stalled tasks (of any executor) to re-queue. */
  stalledIntervalMs?: number;
  /** Times a task may stall (its executor died) before it fails for good. */
  maxStalledCount?: number;
  redisUrl?: string;
  signal?: AbortSignal;
}

/** What the running task of a slot listens to (the pool's callbacks are fixed at its start). */
interface SlotHooks {
  err?: KrangeError;
  progress?: (records: number) => void;
}

/** One single-thread pool per slot: WorkerPool.run serves one caller at a time. */
class WarmThreads {
  private readonly free: { pool: WorkerPool; hooks: SlotHooks }[] = [];

  static async start(job: LoadedJob, size: number, logger: Logger): Promise<WarmThreads> {
    const t = new WarmThreads();
    for (let i = 0; i < size; i++) {
      const hooks: SlotHooks = {};
      const pool = await WorkerPool.start({
        modulePath: job.modulePath,
        ...(job.compiled === undefined ? {} : { compiled: job.compiled }),
        endpoints: job.endpoints,
        schema: job.spec.schema,
        size: 1,
        // Retries belong to BullMQ (attempts, backoff, stalled re-runs), not to this pool.
        attempts: 1,
        logger,
        onAttemptFailed: (_taskId, err) => {
          hooks.err = err;
        },
        onProgress: (_taskId, records) => hooks.progress?.(records),
      });
      t.free.push({ pool, hooks });
    }
    return t;
  }

  async run(
    data: TaskJobData,
    attempt: number,
    onProgress: (records: number) => void,
  ): Promise<TaskResultJson> {
    const slot = this.free.pop();
    if (slot === undefined) throw Errors.config('executor took more tasks than it has worker threads');
    slot.hooks.err = undefined;
    slot.hooks.progress = onProgress;
    try {
      const [result] = await slot.pool.run(data.iteration, [
        {
          taskId: data.taskId,
          range: rangeFromJson(data.range),
          firstAttempt: attempt,
          ...(data.fence === undefined ? {} : { fence: data.fence }),
        },
      ]);
      if (result === undefined) throw Errors.config(`task ${data.taskId} returned no result`);
      return result;
    } catch (err) {
      // The pool wraps the cause in KRANGE_TASK_FAILED; the driver's doctrine needs the cause.
      throw slot.hooks.err ?? err;
    } finally {
      slot.hooks.progress = undefined;
      this.free.push(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.free.map((s) => s.pool.close()));
  }
}

/** Serves the jobs' task queues until the signal aborts; then finishes running tasks and closes. */
export async function runExecutor(o: ExecutorOptions): Promise<void> {
  const threads = Math.max(1, o.threads ?? availableParallelism());
  const served: { worker: Worker; threads: WarmThreads; close: () => Promise<void> }[] = [];
  try {
    for (const job of o.jobs) served.push(await serve(job, threads, o));
    o.logger.info(
      { event: LogEvents.executorReady, jobs: o.jobs.map((j) => j.spec.name), threads },
      `executor ready: ${o.jobs.length} job queue(s), ${threads} warm worker thread(s) each`,
    );
    await new Promise<void>((resolve) => {
      if (o.signal?.aborted) resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    // Worker.close() waits for the tasks in hand; their results still reach the driver.
    await Promise.allSettled(served.map((s) => s.close()));
  }
}

async function serve(
  job: LoadedJob,
  threads: number,
  o: ExecutorOptions,
): Promise<{ worker: Worker; threads: WarmThreads; close: () => Promise<void> }> {
  const name = job.spec.name;
  const hash = schemaHash(job.spec.schema);
  const log = o.logger.child({ job: name });
  const warm = await WarmThreads.start(job, threads, log);
  const connection = queueConnection(o.redisUrl ?? job.endpoints.redisUrl);
  let busy = 0;
  recordWorkers(name, 0, threads);
  const processor = async (bj: Job<TaskJobData, TaskResultJson>): Promise<TaskResultJson> => {
    const data = bj.data;
    // attemptsStarted counts stalled re-runs too: each run writes its own temporary files.
    const attempt = Math.max(1, bj.attemptsStarted);
    if (data.schemaHash !== hash) {
      throw new UnrecoverableError(encodeFailure(Errors.schemaChanged(name, data.schemaHash, hash)));
    }
    log.info(
      { event: LogEvents.executorTaskTaken, task: data.taskId, iteration: data.iteration, attempt },
      'task taken',
    );
    recordWorkers(name, ++busy, threads);
    try {
      const result = await warm.run(data, attempt, (records) => {
        void bj.updateProgress(records).catch(() => undefined);
      });
      recordExecutorTask(name, 'done');
      return result;
    } catch (err) {
      recordExecutorTask(name, 'failed');
      const e = err as KrangeError;
      log.warn({ task: data.taskId, attempt, code: e.code }, `task attempt failed: ${e.message}`);
      const message = encodeFailure(e);
      throw e.retriable ? new Error(message) : new UnrecoverableError(message);
    } finally {
      recordWorkers(name, --busy, threads);
    }
  };
  const worker = new Worker<TaskJobData, TaskResultJson>(taskQueueName(name), processor, {
    connection,
    prefix: QUEUE_PREFIX,
    concurrency: threads,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 2,
    // The wait before BullMQ's next attempt is retry.ts's backoff, as in the thread pool.
    settings: { backoffStrategy: (attemptsMade: number) => taskBackoff(attemptsMade) },
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'executor queue error'));
  await worker.waitUntilReady();
  return {
    worker,
    threads: warm,
    close: async () => {
      await worker.close();
      await warm.close();
      connection.disconnect();
    },
  };
}
