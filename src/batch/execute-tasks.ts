// Runs an iteration's tasks: on the driver's worker pool (progress, metrics, the progress file) or,
// with executors: 'bullmq', on `krange executor` processes; and sums their results. An abort of
// `signal` stops the tasks and rejects with KRANGE_ABORTED (nothing is committed by the caller).

import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { LoadedJob } from '../job/job-loader.ts';
import type { ExecutorsKind } from '../job/options/executors-options.ts';
import {
  recordAttemptFailed,
  recordPhase,
  recordUtilisation,
  recordWorkers,
} from '../metrics/batch-metrics.ts';
import { metricsEnabled } from '../metrics/registry.ts';
import { rangeFromJson } from '../offset-range.ts';
import { prepareSinks } from '../sinks/sink-factory.ts';
import type { OffsetsFile, StateStore } from '../state/state-store.ts';
import type { TaskFence, TaskResult } from '../worker/messages.ts';
import { type PoolHooks, type PoolOptions, WorkerPool } from '../worker/worker-pool.ts';
import { ProgressWriter } from './progress-file.ts';
import type { WarmPools } from './warm-pools.ts';

/** The parts of a run's options that task execution uses. */
export interface ExecuteOptions {
  logger: Logger;
  workers?: number;
  executors?: ExecutorsKind;
  signal?: AbortSignal;
  onProgress?: (recordsDone: number, recordsPlanned: number) => void;
  /** The daemon's warm pools: the tasks run on the job's warm threads, which stay for the next iteration. */
  warm?: WarmPools;
  /** The runner's lock generation: each task checks it before its final renames and commits. */
  fence?: TaskFence;
}

export function plannedRecords(plan: Pick<OffsetsFile, 'tasks'>): number {
  return plan.tasks.reduce((s, t) => s + Number(BigInt(t.end) - BigInt(t.begin)), 0);
}

/** Runs the plan's tasks on a worker pool; returns the task results in plan order. */
export async function executeTasks(
  job: LoadedJob,
  store: StateStore,
  plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
  opts: ExecuteOptions,
): Promise<TaskResult[]> {
  if (plan.tasks.length === 0) return [];
  const name = job.spec.name;
  const started = performance.now();
  await prepareSinks(job.spec.sinks, job.spec.name, plan.iteration, job.endpoints);
  if ((opts.executors ?? job.spec.executors) === 'bullmq')
    return executeOnQueue(job, store, plan, opts, started);
  const threads = opts.workers ?? job.spec.limits.workers ?? availableParallelism();
  // A warm pool has the job's full thread count: the next iteration may have more tasks.
  const size = Math.max(1, opts.warm === undefined ? Math.min(threads, plan.tasks.length) : threads);
  const planned = plannedRecords(plan);
  const progress = new Map<string, number>();
  let done = 0;
  let busy = 0;
  const report = (): void => opts.onProgress?.(done, planned);
  const shown = metricsEnabled ? new ProgressWriter(store, plan, size) : undefined;
  recordWorkers(name, 0, size);
  const hooks: PoolHooks = {
    onProgress: (taskId, records) => {
      done += records - (progress.get(taskId) ?? 0);
      progress.set(taskId, records);
      shown?.progress(taskId, records);
      report();
    },
    onTaskStart: (taskId, attempt) => {
      // A retried attempt starts over: its records count again from zero.
      done -= progress.get(taskId) ?? 0;
      progress.set(taskId, 0);
      shown?.started(taskId, attempt);
      recordWorkers(name, ++busy, size);
    },
    onAttemptFailed: (taskId, err, retried) => {
      shown?.failed(taskId, retried);
      recordAttemptFailed(name, err.code, err.details, retried);
      recordWorkers(name, --busy, size);
    },
    onTaskDone: (r) => {
      const total = Number(BigInt(r.end) - BigInt(r.begin));
      done += total - (progress.get(r.id) ?? 0);
      progress.set(r.id, total);
      shown?.done(r);
      recordWorkers(name, --busy, size);
      report();
    },
  };
  const poolOptions: PoolOptions = {
    modulePath: job.modulePath,
    ...(job.compiled === undefined ? {} : { compiled: job.compiled }),
    endpoints: job.endpoints,
    schema: job.spec.schema,
    size,
    attempts: job.spec.limits.taskAttempts,
    logger: opts.logger,
  };
  const warm = opts.warm;
  const pool =
    warm === undefined
      ? await WorkerPool.start(poolOptions)
      : await warm.acquire(name, `${job.compiled || job.modulePath} x${size}`, () =>
          WorkerPool.start(poolOptions),
        );
  try {
    const results = await pool.run(
      plan.iteration,
      plan.tasks.map((t) => ({
        taskId: t.id,
        range: rangeFromJson(t),
        ...(opts.fence === undefined ? {} : { fence: opts.fence }),
      })),
      opts.signal,
      hooks,
    );
    const wallMs = performance.now() - started;
    recordUtilisation(
      name,
      results.reduce((s, r) => s + r.durationMs, 0),
      size,
      wallMs,
    );
    recordPhase(name, 'tasks', wallMs);
    return results;
  } catch (err) {
    // Aborted tasks may still run on the threads, a failed one may have left a sink half-open.
    await warm?.discard(name, `iteration ${plan.iteration} did not complete`);
    throw err;
  } finally {
    shown?.close();
    recordWorkers(name, 0, warm?.current(name) === undefined ? 0 : size);
    if (warm === undefined) await pool.close();
  }
}

/** The tasks on `krange executor` processes through the job's BullMQ queue (executors: 'bullmq'). */
async function executeOnQueue(
  job: LoadedJob,
  store: StateStore,
  plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
  opts: ExecuteOptions,
  started: number,
): Promise<TaskResult[]> {
  const planned = plannedRecords(plan);
  const progress = new Map<string, number>();
  let done = 0;
  const shown = metricsEnabled ? new ProgressWriter(store, plan, 0) : undefined;
  try {
    // BullMQ (and ioredis) load only for a job whose tasks go to executors.
    const { runOnExecutors } = await import('../executor/enqueue-tasks.ts');
    const results = await runOnExecutors(job, plan, {
      redisUrl: job.endpoints.redisUrl,
      logger: opts.logger.child({ job: job.spec.name }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.fence === undefined ? {} : { fence: opts.fence }),
      onProgress: (taskId, records) => {
        // A re-run attempt reports from zero again: count only what this attempt adds.
        done += records - (progress.get(taskId) ?? 0);
        progress.set(taskId, records);
        shown?.progress(taskId, records);
        opts.onProgress?.(done, planned);
      },
      onTaskDone: (r) => {
        const total = Number(BigInt(r.end) - BigInt(r.begin));
        done += total - (progress.get(r.id) ?? 0);
        progress.set(r.id, total);
        shown?.done(r);
        opts.onProgress?.(done, planned);
      },
    });
    recordPhase(job.spec.name, 'tasks', performance.now() - started);
    return results;
  } finally {
    shown?.close();
  }
}

/** Per sink, the rows it refused over all tasks (every sink named, 0 when it refused none). */
export function refusedBySink(results: TaskResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results)
    for (const [name, s] of Object.entries(r.sinks)) out[name] = (out[name] ?? 0) + (s.refused ?? 0);
  return out;
}

export function totals(results: TaskResult[]) {
  return results.reduce(
    (a, r) => ({
      records: a.records + r.records,
      rows: a.rows + r.rows,
      bytes: a.bytes + r.bytes,
      badRecords: a.badRecords + r.badRecords,
      files: a.files + r.files.length,
    }),
    { records: 0, rows: 0, bytes: 0, badRecords: 0, files: 0 },
  );
}
