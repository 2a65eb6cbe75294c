// A sink's server stops in the middle of a task: the task writes its first rows, the server is
// stopped (scripts/services/<name>.sh), the rest and the commit are tried (the writer aborted on
// failure), and the server is started again whatever happened. The outage tests then check the
// error and that the task's next attempt, on the same sink, writes the whole range.
import { expect } from 'vitest';
import { isKrangeError, type KrangeError } from '../../src/errors.ts';
import type { Schema } from '../../src/job/schema.ts';
import type { Sink, SinkRow } from '../../src/sinks/sink.ts';
import { service, taskContext } from './sinks.ts';

export interface OutageFailure {
  /** The error the task failed with: a retriable KRANGE_SINK (checked here). */
  err: KrangeError;
  /** From the server's stop to the failure. */
  failedAfterMs: number;
}

/** One task of `rows` on `sink`, its server `name` stopped after the first `before` rows; it must fail retriably. */
export async function failTaskDuringOutage(
  name: 'redis' | 'mongo',
  sink: Sink,
  schema: Schema,
  rows: SinkRow[],
  before: number,
): Promise<OutageFailure> {
  const w = await sink.open(taskContext(schema, rows));
  await w.write(rows.slice(0, before));
  service(name, 'stop');
  let err: unknown;
  const started = performance.now();
  try {
    await w.write(rows.slice(before));
    await w.commit();
  } catch (e) {
    err = e;
    await w.abort();
  } finally {
    service(name, 'start');
  }
  const failedAfterMs = performance.now() - started;
  process.stderr.write(
    `[${name} outage] failed after ${Math.round(failedAfterMs)} ms: ${(err as Error).message}\n`,
  );
  expect(isKrangeError(err, 'KRANGE_SINK')).toBe(true);
  expect((err as KrangeError).retriable).toBe(true);
  return { err: err as KrangeError, failedAfterMs };
}
