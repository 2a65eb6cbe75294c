// The one interface every sink implements: per task, open -> write batches -> commit | abort.
// A task succeeds only when every sink's commit succeeded; commit makes the task's output visible
// (Parquet: rename into place; Mongo/Redis: writes are idempotent upserts, commit flushes them).
// Adding a sink is one new module plus a line in sink-factory.ts.

import type { Logger } from 'pino';
import type { Schema } from '../job/schema.ts';
import type { CheckedRow } from '../records/record.ts';

/** A row on its way to the sinks: the records layer's checked row. */
export type SinkRow = CheckedRow;

export interface TaskContext {
  job: string;
  iteration: number;
  taskId: string;
  topic: string;
  partition: number;
  begin: bigint;
  end: bigint;
  attempt: number;
  schema: Schema;
  logger: Logger;
  /**
   * A sink calls this for a row its server refuses (too large, invalid key, wrong type) and leaves
   * the row out. It applies the job's onBadRecord policy: under 'fail' it throws KRANGE_BAD_RECORD
   * naming the record; otherwise the row is counted (and dead-lettered) as a bad record.
   */
  reject(row: SinkRow, reason: string, field?: string): void;
  /**
   * The lease's fencing check (worker/task-fence.ts): a sink awaits it right before each step that
   * makes output final (Parquet: each rename); it rejects with KRANGE_FENCED when the task's runner
   * lost the job's lock to a newer one. Absent when the task is not fenced.
   */
  fence?(what: string): Promise<void>;
}

export interface SinkTaskStats {
  rows: number;
  bytes: number;
  durationMs: number;
  /** Final locations written (files) or targets (collection, key prefix), for the commit file. */
  files: string[];
}

export interface SinkTaskWriter {
  write(batch: SinkRow[]): Promise<void>;
  /** Flushes and makes the output visible; after it the task's output is durable. */
  commit(): Promise<SinkTaskStats>;
  /** Drops what was not committed (best effort; output must stay safe to redo). */
  abort(): Promise<void>;
}

export interface Sink {
  /** Stable name used in commit files, e.g. `parquet:webhdfs:///data/clickstream`. */
  readonly name: string;
  open(ctx: TaskContext): Promise<SinkTaskWriter>;
  /** Releases connections when the worker shuts down. */
  close(): Promise<void>;
}
