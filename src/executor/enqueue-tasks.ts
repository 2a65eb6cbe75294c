// The driver's side of `executors: 'bullmq'`: enqueues an iteration's tasks on the job's BullMQ
// Queue and awaits each job with QueueEvents. Retries follow the retry doctrine: BullMQ retries an
// attempt that failed retriably (attempts = limits.taskAttempts, retry.ts's backoff), an executor
// marks a permanent failure unrecoverable, and BullMQ's stalled-job detection re-queues the task of
// an executor that died. The first failure for good cancels the waiting tasks and fails the iteration.

import { randomUUID } from 'node:crypto';
import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import { Errors, isKrangeError, type KrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { schemaHash } from '../job/schema.ts';
import type { OffsetsFile, TaskResultJson } from '../state/state-store.ts';
import type { TaskFence } from '../worker/messages.ts';
import {
  decodeFailure,
  QUEUE_PREFIX,
  queueConnection,
  type TaskJobData,
  taskQueueName,
} from './task-queue.ts';

export interface EnqueueOptions {
  logger: Logger;
  redisUrl?: string;
  signal?: AbortSignal;
  /** Records read so far by a task's running attempt (from the executors' job progress). */
  onProgress?: (taskId: string, records: number) => void;
  onTaskDone?: (result: TaskResultJson) => void;
  /** The driver's lock generation, carried by every task (task-queue.ts). */
  fence?: TaskFence;
}

/** Runs the plan's tasks on `krange executor` processes; returns the results in plan order. */
export async function runOnExecutors(
  job: LoadedJob,
  plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
  o: EnqueueOptions,
): Promise<TaskResultJson[]> {
  const name = job.spec.name;
  const queueName = taskQueueName(name);
  const queueConn = queueConnection(o.redisUrl);
  const eventsConn = queueConnection(o.redisUrl);
  const queue = new Queue<TaskJobData, TaskResultJson>(queueName, {
    connection: queueConn,
    prefix: QUEUE_PREFIX,
  });
  const events = new QueueEvents(queueName, { connection: eventsConn, prefix: QUEUE_PREFIX });
  // A fresh id per run: a resumed or re-run plan must run again, not find the old jobs' results.
  const run = randomUUID().slice(0, 8);
  const byJobId = new Map<string, string>();
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    events.on('progress', ({ jobId, data }) => {
      const taskId = byJobId.get(jobId);
      if (taskId !== undefined && typeof data === 'number') o.onProgress?.(taskId, data);
    });
    const hash = schemaHash(job.spec.schema);
    const added: Job<TaskJobData, TaskResultJson>[] = await queue.addBulk(
      plan.tasks.map((t) => {
        const jobId = `${plan.iteration}.${t.id}.${run}`;
        byJobId.set(jobId, t.id);
        return {
          name: 'task',
          data: {
            job: name,
            iteration: plan.iteration,
            taskId: t.id,
            range: { topic: t.topic, partition: t.partition, begin: t.begin, end: t.end },
            schemaHash: hash,
            ...(o.fence === undefined ? {} : { fence: o.fence }),
          },
          opts: {
            jobId,
            attempts: job.spec.limits.taskAttempts,
            // Not a built-in type: the executors' backoffStrategy (taskBackoff) computes the wait.
            backoff: { type: 'krange' },
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: 24 * 3600 },
          },
        };
      }),
    );
    o.logger.info(
      { iteration: plan.iteration, tasks: added.length, queue: queueName },
      'tasks enqueued for the executors',
    );
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(Errors.aborted(`iteration ${plan.iteration} cancelled`));
      if (o.signal?.aborted) onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const results = added.map(async (bj) => {
      const taskId = bj.data.taskId;
      try {
        const r = await bj.waitUntilFinished(events);
        o.onTaskDone?.(r);
        return r;
      } catch (err) {
        const cause = isKrangeError(err)
          ? (err as KrangeError)
          : decodeFailure((err as Error).message, taskId);
        throw cause.code === 'KRANGE_TASK_FAILED' || cause.code === 'KRANGE_ABORTED'
          ? cause
          : Errors.taskFailed(taskId, job.spec.limits.taskAttempts, cause);
      }
    });
    try {
      return await Promise.race([Promise.all(results), aborted]);
    } catch (err) {
      // Tasks not yet taken are withdrawn; running ones finish, but nothing of this run is committed.
      await Promise.allSettled(added.map((bj) => bj.remove()));
      for (const r of results) r.catch(() => undefined);
      throw err;
    }
  } finally {
    await Promise.allSettled([events.close(), queue.close()]);
    queueConn.disconnect();
    eventsConn.disconnect();
  }
}
