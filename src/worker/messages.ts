// The driver and its worker threads talk only through these messages. Errors cross the thread
// boundary serialised ({code, message, details, retriable}) and are recognised by code.

import type { SerializedError } from '../errors.ts';
import type { OffsetRangeJson } from '../offset-range.ts';
import type { TaskResultJson } from '../state/state-store.ts';

export interface WorkerInit {
  modulePath: string;
  workerIndex: number;
}

export interface TaskMessage {
  type: 'task';
  iteration: number;
  taskId: string;
  range: OffsetRangeJson;
  attempt: number;
}

export type DriverMessage = TaskMessage | { type: 'cancel'; taskId: string } | { type: 'shutdown' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'progress'; taskId: string; records: number }
  | { type: 'done'; taskId: string; result: TaskResultJson }
  | { type: 'failed'; taskId: string; error: SerializedError };
