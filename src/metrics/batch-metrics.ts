// What the batch driver records about an iteration: phases, totals, per-sink figures from the task
// results, retries and worker utilisation. Called a handful of times per iteration, so metrics cost
// nothing measurable on the record path (BENCHMARKS.md).

import type { ErrorDetails } from '../errors.ts';
import type { TaskResultJson } from '../state/state-store.ts';
import { Metrics } from './krange-metrics.ts';
import { metricsEnabled } from './registry.ts';

export type Phase = 'plan' | 'tasks' | 'commit';
export type IterationStatus = 'committed' | 'noop' | 'rerun' | 'failed' | 'aborted';

export function recordPhase(job: string, phase: Phase, ms: number): void {
  if (metricsEnabled) Metrics.phaseDuration.observe({ job, phase }, ms / 1000);
}

export function recordIterationStatus(job: string, status: IterationStatus): void {
  if (metricsEnabled) Metrics.iterations.inc({ job, status });
}

/** Totals and per-sink figures of a committed iteration's (or rerun's) task results. */
export function recordTaskResults(job: string, results: TaskResultJson[], committed: boolean): void {
  if (!metricsEnabled) return;
  let records = 0;
  let rows = 0;
  let bytes = 0;
  let bad = 0;
  let busyMs = 0;
  for (const r of results) {
    records += r.records;
    rows += r.rows;
    bytes += r.bytes;
    bad += r.badRecords;
    busyMs += r.durationMs;
    for (const [sink, s] of Object.entries(r.sinks)) {
      Metrics.sinkRows.inc({ job, sink }, s.rows);
      Metrics.sinkBytes.inc({ job, sink }, s.bytes);
      Metrics.sinkDuration.observe({ job, sink }, s.durationMs / 1000);
    }
  }
  Metrics.workerBusySeconds.inc({ job }, busyMs / 1000);
  if (!committed) return;
  Metrics.iterationRecords.inc({ job }, records);
  Metrics.iterationRows.inc({ job }, rows);
  Metrics.iterationBytes.inc({ job }, bytes);
  Metrics.iterationBadRecords.inc({ job }, bad);
}

/** A failed task attempt: a retry, and a sink error when a sink failed it. */
export function recordAttemptFailed(
  job: string,
  code: string,
  details: ErrorDetails,
  retried: boolean,
): void {
  if (!metricsEnabled) return;
  if (retried) Metrics.taskRetries.inc({ job });
  const sink = details['sink'];
  if (code === 'KRANGE_SINK' || code === 'KRANGE_HDFS')
    Metrics.sinkErrors.inc({
      job,
      sink: typeof sink === 'string' ? sink : code === 'KRANGE_HDFS' ? 'hdfs' : 'unknown',
    });
}

/** Busy and idle workers while tasks run; both 0 once the pool is closed. */
export function recordWorkers(job: string, busy: number, size: number): void {
  if (!metricsEnabled) return;
  Metrics.workerPoolSize.set({ job, state: 'busy' }, busy);
  Metrics.workerPoolSize.set({ job, state: 'idle' }, Math.max(size - busy, 0));
}

export function recordUtilisation(job: string, busyMs: number, size: number, wallMs: number): void {
  if (metricsEnabled && size > 0 && wallMs > 0)
    Metrics.workerUtilisation.set({ job }, Math.min(busyMs / (size * wallMs), 1));
}

/** A task attempt a `krange executor` finished (the driver records the task's figures from its result). */
export function recordExecutorTask(job: string, status: 'done' | 'failed'): void {
  if (metricsEnabled) Metrics.executorTasks.inc({ job, status });
}
