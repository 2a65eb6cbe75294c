// Where an iteration's tasks run: on the driver's own worker threads (default) or on `krange
// executor` processes on any number of hosts, through a BullMQ queue on the stack's Redis.

import { z } from 'zod';

/**
 * `threads` (default): the driver's local worker-thread pool. `bullmq`: the driver enqueues each
 * task on the job's BullMQ queue (Redis at KRANGE_REDIS_URL) and `krange executor` processes run
 * them; the driver still plans and commits. The CLI flag `--executors` overrides it per run.
 */
export const executorsSchema = z.enum(['threads', 'bullmq']).default('threads');

export type ExecutorsKind = z.infer<typeof executorsSchema>;
