// How much one iteration takes on and how it is cut into tasks for the worker threads.

import { z } from 'zod';
import { options } from './strict-options.ts';

export const limitsSchema = options({
  /** Cap on offsets per iteration, shared by partitions in proportion to their backlog. */
  maxOffsetsPerIteration: z.number().int().positive().optional(),
  /** Ranges longer than this are split into several tasks. */
  maxRecordsPerTask: z.number().int().positive().default(2_000_000),
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
}).default({ maxRecordsPerTask: 2_000_000, taskAttempts: 3, fetchMaxBytes: 4 * 1024 * 1024 });
