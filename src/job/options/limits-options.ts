// How much one iteration takes on and how it is cut into tasks for the worker threads.

import { z } from 'zod';
import { options } from './strict-options.ts';

/** The default task size, records (see `maxRecordsPerTask`). */
export const MAX_RECORDS_PER_TASK = 300_000;

export const limitsSchema = options({
  /** Cap on offsets per iteration, shared by partitions in proportion to their backlog. */
  maxOffsetsPerIteration: z.number().int().positive().optional(),
  /**
   * Ranges longer than this are split into several tasks. On the columnar path a task's records
   * wait in a scratch file (in /dev/shm up to 500,000 records, ~120 MB of demo events per worker)
   * and DuckDB holds a row group per file it writes: 300,000 bounds both whatever the backlog, at
   * the cost of more, smaller files for big backlogs (a 2M backlog over 8 partitions, W1, is still
   * one task per partition).
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
