// What the driver and `krange executor` share about a job's BullMQ task queue: its name, the Redis
// connection BullMQ needs, the job data, and how a KrangeError crosses it (BullMQ keeps only a
// failure's message, so the message carries the serialised error).

import { Redis } from 'ioredis';
import { deserializeError, type KrangeError, type SerializedError, serializeError } from '../errors.ts';
import { serviceEndpoints } from '../job/endpoints.ts';
import type { OffsetRangeJson } from '../offset-range.ts';
import type { TaskFence } from '../worker/messages.ts';

/** Redis key prefix of every krange queue (BullMQ's `prefix`). */
export const QUEUE_PREFIX = 'krange';

/** One queue per job, so executors serve only the jobs they have loaded. */
export function taskQueueName(job: string): string {
  // BullMQ refuses ':' in queue names; job names are checked elsewhere, this keeps keys readable.
  return `tasks.${job.replace(/:/g, '_')}`;
}

/** A task as the driver enqueues it; the attempt number comes from BullMQ (attemptsStarted). */
export interface TaskJobData {
  job: string;
  iteration: number;
  taskId: string;
  range: OffsetRangeJson;
  /** The driver's schema hash: an executor with another version of the job refuses the task. */
  schemaHash: string;
  /** The driver's lock generation, checked before the task's final renames and commits. */
  fence?: TaskFence;
}

/**
 * A Redis connection for BullMQ. Workers and QueueEvents block on Redis, so ioredis must not give
 * up on a request (`maxRetriesPerRequest: null`, which BullMQ requires); the caller closes it.
 */
export function queueConnection(url: string = serviceEndpoints().redisUrl): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false });
}

/** The message an executor fails a job with: the serialised KrangeError as JSON. */
export function encodeFailure(err: KrangeError): string {
  const { stack: _stack, ...rest } = serializeError(err);
  return JSON.stringify(rest);
}

/** The driver's side of encodeFailure; a message BullMQ wrote itself (e.g. stalled too often) is retriable. */
export function decodeFailure(reason: string, taskId: string): KrangeError {
  try {
    const parsed = JSON.parse(reason) as SerializedError;
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string')
      return deserializeError(parsed);
  } catch {
    // Not ours: fall through.
  }
  return deserializeError({
    code: 'KRANGE_TASK_FAILED',
    message: `task ${taskId} failed on the executors: ${reason}`,
    retriable: true,
    details: { task: taskId },
  });
}
