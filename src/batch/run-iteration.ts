// One iteration, Spark-checkpoint style: lock -> plan (or resume the uncommitted plan) -> write the
// plan ahead -> fan out to the worker pool -> commit only after every task's sinks succeeded ->
// unlock. Also rerun of a saved plan and reset of the starting point, under the same lock.

import { availableParallelism } from 'node:os';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors, isKrangeError } from '../errors.ts';
import { runOnExecutors } from '../executor/enqueue-tasks.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import type { ExecutorsKind } from '../job/options/executors-options.ts';
import { schemaHash } from '../job/schema.ts';
import { connectAdmin } from '../kafka/kafka-client.ts';
import { LogEvents } from '../log-events.ts';
import {
  recordAttemptFailed,
  recordIterationStatus,
  recordPhase,
  recordTaskResults,
  recordUtilisation,
  recordWorkers,
} from '../metrics/batch-metrics.ts';
import { commitToGroup } from '../metrics/commit-to-group.ts';
import { metricsEnabled } from '../metrics/registry.ts';
import { rangeFromJson } from '../offset-range.ts';
import { prepareSinks } from '../sinks/sink-factory.ts';
import { JobLock } from '../state/job-lock.ts';
import { foldHistory, readHistory } from '../state/state-history.ts';
import { bindIdentity } from '../state/state-identity.ts';
import { type OffsetsFile, StateStore } from '../state/state-store.ts';
import type { TaskResult } from '../worker/messages.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import { buildPlan, isNoop, jobPositions } from './build-plan.ts';
import { ProgressWriter } from './progress-file.ts';

export interface RunOptions {
  logger: Logger;
  /** Overrides limits.workers. */
  workers?: number;
  onPlanned?: (plan: OffsetsFile | Omit<OffsetsFile, 'version'>, resumed: boolean) => void;
  onProgress?: (recordsDone: number, recordsPlanned: number) => void;
  stateRoot?: string;
  /** What the lock file says is running. */
  command?: string;
  /** Overrides the job's `executors`: `bullmq` runs the tasks on `krange executor` processes. */
  executors?: ExecutorsKind;
  /** Cancels the iteration: running tasks are stopped and nothing is committed (KRANGE_ABORTED). */
  signal?: AbortSignal;
}

export interface IterationOutcome {
  job: string;
  iteration: number | undefined;
  status: 'committed' | 'noop' | 'rerun';
  resumed: boolean;
  records: number;
  rows: number;
  bytes: number;
  files: number;
  badRecords: number;
  tasks: number;
  skipped: number;
  durationMs: number;
}

function plannedRecords(plan: Pick<OffsetsFile, 'tasks'>): number {
  return plan.tasks.reduce((s, t) => s + Number(BigInt(t.end) - BigInt(t.begin)), 0);
}

export async function withAdmin<T>(
  job: LoadedJob,
  logger: Logger,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(job, logger);
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Crash tests set this to hold the process between the last rename and the commit. */
async function debugPause(variable: string): Promise<void> {
  const ms = Number(process.env[variable] ?? '0');
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Refuses a state directory bound to another job; binds one of an older release and says so. */
export function bindStateDir(store: StateStore, job: LoadedJob, hash: string, log?: Logger): void {
  if (bindIdentity(store, job.spec, job.modulePath, hash) === 'bound')
    log?.warn(
      { event: LogEvents.stateBound, dir: store.dir, module: job.modulePath },
      `state directory ${store.dir} had no job identity (an older release wrote it): bound it to the topics and sinks of ${job.modulePath}`,
    );
}

export function lockFor(store: StateStore, logger?: Logger): JobLock {
  return new JobLock(store.job, store.path('lock.json'), logger === undefined ? {} : { logger });
}

/** Runs the plan's tasks on a worker pool; returns the task results in plan order. */
async function executeTasks(
  job: LoadedJob,
  store: StateStore,
  plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
  opts: RunOptions,
): Promise<TaskResult[]> {
  if (plan.tasks.length === 0) return [];
  const name = job.spec.name;
  const started = performance.now();
  await prepareSinks(job.spec.sinks, job.spec.name, plan.iteration, job.endpoints);
  if ((opts.executors ?? job.spec.executors) === 'bullmq') return executeOnQueue(job, plan, opts, started);
  const size = Math.max(
    1,
    Math.min(opts.workers ?? job.spec.limits.workers ?? availableParallelism(), plan.tasks.length),
  );
  const planned = plannedRecords(plan);
  const progress = new Map<string, number>();
  let done = 0;
  let busy = 0;
  const report = (): void => opts.onProgress?.(done, planned);
  const shown = metricsEnabled ? new ProgressWriter(store, plan, size) : undefined;
  recordWorkers(name, 0, size);
  const pool = await WorkerPool.start({
    modulePath: job.modulePath,
    endpoints: job.endpoints,
    schema: job.spec.schema,
    size,
    attempts: job.spec.limits.taskAttempts,
    logger: opts.logger,
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
  });
  try {
    const results = await pool.run(
      plan.iteration,
      plan.tasks.map((t) => ({ taskId: t.id, range: rangeFromJson(t) })),
      opts.signal,
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
  } finally {
    shown?.close();
    recordWorkers(name, 0, 0);
    await pool.close();
  }
}

/** The tasks on `krange executor` processes through the job's BullMQ queue (executors: 'bullmq'). */
async function executeOnQueue(
  job: LoadedJob,
  plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
  opts: RunOptions,
  started: number,
): Promise<TaskResult[]> {
  const planned = plannedRecords(plan);
  const progress = new Map<string, number>();
  let done = 0;
  const results = await runOnExecutors(job, plan, {
    redisUrl: job.endpoints.redisUrl,
    logger: opts.logger.child({ job: job.spec.name }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    onProgress: (taskId, records) => {
      // A re-run attempt reports from zero again: count only what this attempt adds.
      done += records - (progress.get(taskId) ?? 0);
      progress.set(taskId, records);
      opts.onProgress?.(done, planned);
    },
    onTaskDone: (r) => {
      const total = Number(BigInt(r.end) - BigInt(r.begin));
      done += total - (progress.get(r.id) ?? 0);
      progress.set(r.id, total);
      opts.onProgress?.(done, planned);
    },
  });
  recordPhase(job.spec.name, 'tasks', performance.now() - started);
  return results;
}

function totals(results: TaskResult[]) {
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

/** One iteration of a job: resumes an uncommitted plan first, else plans from the last commit. */
export async function runIteration(job: LoadedJob, opts: RunOptions): Promise<IterationOutcome> {
  const started = performance.now();
  const { spec } = job;
  const log = opts.logger.child({ job: spec.name });
  const store = new StateStore(spec.name, opts.stateRoot);
  const lock = lockFor(store, opts.logger);
  lock.acquire(opts.command ?? 'krange run');
  try {
    const hash = schemaHash(spec.schema);
    bindStateDir(store, job, hash, log);
    let plan: Omit<OffsetsFile, 'version'>;
    const pending = store.pendingIteration();
    const resumed = pending !== undefined;
    if (pending !== undefined) {
      plan = store.readOffsets(pending);
      if (plan.schemaHash !== hash) throw Errors.schemaChanged(spec.name, plan.schemaHash, hash);
      log.warn(
        { event: LogEvents.iterationResumed, iteration: pending },
        `re-running uncommitted iteration ${pending}`,
      );
    } else {
      const n = (store.latestIteration() ?? -1) + 1;
      const planStarted = performance.now();
      plan = await withAdmin(job, log, (admin) => buildPlan(admin, spec, store, n));
      recordPhase(spec.name, 'plan', performance.now() - planStarted);
      if (isNoop(plan, jobPositions(spec, store))) {
        log.info({ event: LogEvents.iterationEmpty }, 'nothing new to read');
        recordIterationStatus(spec.name, 'noop');
        opts.onPlanned?.(plan, false);
        return {
          job: spec.name,
          iteration: undefined,
          status: 'noop',
          resumed: false,
          records: 0,
          rows: 0,
          bytes: 0,
          files: 0,
          badRecords: 0,
          tasks: 0,
          skipped: 0,
          durationMs: Math.round(performance.now() - started),
        };
      }
      // Write-ahead: the plan is durable before any task runs.
      store.writeOffsets(plan);
      store.updateSchemaHash(hash);
      for (const s of plan.skipped)
        log.warn({ event: LogEvents.dataLossSkipped, ...s }, 'data loss: range skipped');
      log.info(
        {
          event: LogEvents.iterationPlanned,
          iteration: plan.iteration,
          tasks: plan.tasks.length,
          records: plannedRecords(plan),
        },
        'planned',
      );
    }
    opts.onPlanned?.(plan, resumed);
    const results = await executeTasks(job, store, plan, opts);
    await debugPause('KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS');
    // Fencing: a runner that was presumed gone and taken over must not commit over the new holder.
    lock.assertHeld(`commit iteration ${plan.iteration}`);
    const commitStarted = performance.now();
    const t = totals(results);
    const durationMs = Math.round(performance.now() - started);
    store.writeCommit({
      job: spec.name,
      iteration: plan.iteration,
      committedAt: new Date().toISOString(),
      durationMs,
      ranges: plan.ranges,
      records: t.records,
      rows: t.rows,
      bytes: t.bytes,
      badRecords: t.badRecords,
      tasks: results,
      skipped: plan.skipped,
    });
    const fold = foldHistory(store, spec.retainIterations);
    if (fold.folded > 0)
      log.info(
        { event: LogEvents.stateFolded, folded: fold.folded, first: fold.first, last: fold.last },
        `folded iterations ${fold.first}-${fold.last} into history.jsonl (retainIterations ${spec.retainIterations})`,
      );
    recordPhase(spec.name, 'commit', performance.now() - commitStarted);
    recordTaskResults(spec.name, results, true);
    recordIterationStatus(spec.name, 'committed');
    log.info(
      { event: LogEvents.iterationCommitted, iteration: plan.iteration, ...t, durationMs },
      'committed',
    );
    const group = spec.monitoring?.commitToGroup;
    if (group !== undefined) {
      const ranges = plan.ranges;
      await withAdmin(job, log, (admin) => commitToGroup(admin, group, ranges, log)).catch((err: unknown) =>
        log.warn(
          { group, err: (err as Error).message },
          'cannot reach Kafka to commit to the consumer group',
        ),
      );
    }
    return {
      job: spec.name,
      iteration: plan.iteration,
      status: 'committed',
      resumed,
      ...t,
      tasks: plan.tasks.length,
      skipped: plan.skipped.length,
      durationMs,
    };
  } catch (err) {
    recordIterationStatus(spec.name, isKrangeError(err, 'KRANGE_ABORTED') ? 'aborted' : 'failed');
    log.error({ event: LogEvents.iterationFailed, err }, 'iteration failed; nothing committed');
    throw err;
  } finally {
    lock.release();
  }
}

/** Re-processes a saved plan idempotently; the committed position does not move. */
export async function rerunIteration(job: LoadedJob, n: number, opts: RunOptions): Promise<IterationOutcome> {
  const started = performance.now();
  const store = new StateStore(job.spec.name, opts.stateRoot);
  if (!store.hasOffsets(n)) {
    const folded = readHistory(store).some((h) => h.iteration === n);
    throw Errors.usage(
      folded
        ? `iteration ${n} of job '${job.spec.name}' is folded into history.jsonl (only the newest ${job.spec.retainIterations} keep their plan; raise retainIterations to keep more); its ranges are in 'krange state ${job.spec.name} --json'`
        : `job '${job.spec.name}' has no iteration ${n} (see 'krange state ${job.spec.name}')`,
    );
  }
  const lock = lockFor(store, opts.logger);
  lock.acquire(opts.command ?? `krange rerun --iteration ${n}`);
  try {
    const plan = store.readOffsets(n);
    const hash = schemaHash(job.spec.schema);
    bindStateDir(store, job, hash, opts.logger.child({ job: job.spec.name }));
    if (plan.schemaHash !== hash) throw Errors.schemaChanged(job.spec.name, plan.schemaHash, hash);
    opts.onPlanned?.(plan, false);
    const results = await executeTasks(job, store, plan, opts);
    recordTaskResults(job.spec.name, results, false);
    recordIterationStatus(job.spec.name, 'rerun');
    const t = totals(results);
    const durationMs = Math.round(performance.now() - started);
    store.writeRerun({
      job: job.spec.name,
      iteration: n,
      finishedAt: new Date().toISOString(),
      durationMs,
      records: t.records,
      tasks: results,
    });
    return {
      job: job.spec.name,
      iteration: n,
      status: 'rerun',
      resumed: false,
      ...t,
      tasks: plan.tasks.length,
      skipped: 0,
      durationMs,
    };
  } finally {
    lock.release();
  }
}
