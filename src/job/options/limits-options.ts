// How much one iteration takes on and how it is cut into tasks for the worker threads.

import { z } from 'zod';
import { options } from './strict-options.ts';

/** The default task size, records (see `maxRecordsPerTask`). */
export const MAX_RECORDS_PER_TASK = 250_000;

export const limitsSchema = options({
  /** Cap on offsets per iteration, shared by partitions in proportion to their backlog. */
  maxOffsetsPerIteration: z.number().int().positive().optional(),
  /**
   * Ranges longer than this are split into several tasks. A task's memory does not grow with its
   * size, but on the columnar path its records wait in a scratch file (in /dev/shm up to 500,000
   * records, ~120 MB of demo events per worker): 250,000 keeps that at ~60 MB per worker whatever
   * the backlog, at the cost of more, smaller files for big backlogs.
   */
  maxRecordsPerTask: z.number().int().positive().default(MAX_RECORDS_PER_TASK),
  /** At least this many tasks (ranges are split to reach it). */
  minTasks: z.number().int().positive().optional(),
  /** Worker threads; default: available parallelism. */
  workers: z.number().int().positive().optional(),
  /** Attempts per task before the iteration fails. */
  taskAttempts: z.number().int().positive().default(3),
  /** Bytes per Kafka fetch request. */
  fetchMaxBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
}).default({ maxRecordsPerTask: MAX_RECORDS_PER_TASK, taskAttempts: 3, fetchMaxBytes: 4 * 1024 * 1024 });
