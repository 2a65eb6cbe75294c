// The driver and its worker threads talk only through these messages. Errors cross the thread
// boundary serialised ({code, message, details, retriable}) and are recognised by code.

import type { SerializedError } from '../errors.ts';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { Schema } from '../job/schema.ts';
import type { OffsetRangeJson } from '../offset-range.ts';

/** What a sink wrote for one task. */
export interface SinkTaskResult {
  rows: number;
  bytes: number;
  durationMs: number;
  /** Rows this sink's server refused (bad records of stage `sink`); they stay in the other sinks. */
  refused?: number;
}

/**
 * What a worker reports for a finished task. The driver stores it as is in the commit file, whose
 * schema (state-store.ts) must accept it: the compiler checks that where the driver writes it.
 */
export interface TaskResult extends OffsetRangeJson {
  id: string;
  records: number;
  rows: number;
  bytes: number;
  badRecords: number;
  /** Final locations written (files) or targets (collection, key prefix). */
  files: string[];
  durationMs: number;
  attempts: number;
  /** By sink name. */
  sinks: Record<string, SinkTaskResult>;
}

export interface WorkerInit {
  modulePath: string;
  /** The driver's compiled job module (job-cache.ts) to import instead, or false for tsx. */
  compiled?: string | false;
  /** The driver's endpoints: a worker never reads the environment itself. */
  endpoints: ServiceEndpoints;
  workerIndex: number;
  /** The driver's job schema: a derived one (fromRegistry) is not fetched again by each worker. */
  schema?: Schema;
}

/**
 * The fencing token a task was planned under: its runner's lock generation and where the job's lock
 * lives. Before a final rename or publish the task checks that no newer generation took the job over.
 */
export interface TaskFence {
  generation: number;
  /** The state store's location (state-location.ts; an absolute directory for files). */
  state: string;
  /** The job's folder in it (lock-generations/ is inside). */
  dir: string;
}

export interface TaskMessage {
  type: 'task';
  iteration: number;
  taskId: string;
  range: OffsetRangeJson;
  attempt: number;
  fence?: TaskFence;
}

export type DriverMessage = TaskMessage | { type: 'cancel'; taskId: string } | { type: 'shutdown' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'progress'; taskId: string; records: number }
  | { type: 'done'; taskId: string; result: TaskResult }
  | { type: 'failed'; taskId: string; error: SerializedError };
