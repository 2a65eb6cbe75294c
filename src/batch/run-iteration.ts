// One iteration, Spark-checkpoint style: lock -> plan (or resume the uncommitted plan) -> write the
// plan ahead -> fan out to the worker pool -> commit only after every task's sinks succeeded ->
// unlock. Also rerun of a saved plan and reset of the starting point, under the same lock.

import { resolve } from 'node:path';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { debugPause } from '../debug-pause.ts';
import { Errors, isKrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import type { ExecutorsKind } from '../job/options/executors-options.ts';
import { schemaHash } from '../job/schema.ts';
import { connectAdmin } from '../kafka/kafka-client.ts';
import { LogEvents } from '../log-events.ts';
import { recordIterationStatus, recordPhase, recordTaskResults } from '../metrics/batch-metrics.ts';
import { commitToGroup } from '../metrics/commit-to-group.ts';
import { finishIteration } from '../sinks/sink-factory.ts';
import { JobLock } from '../state/job-lock.ts';
import { foldHistory, readHistory } from '../state/state-history.ts';
import { bindIdentity } from '../state/state-identity.ts';
import { isLocalLocation } from '../state/state-location.ts';
import { jobStateStore, type OffsetsFile, type StateStore } from '../state/state-store.ts';
import type { TaskFence } from '../worker/messages.ts';
import { AttemptRecorder } from './attempt-recorder.ts';
import { buildPlan, isNoop, jobPositions } from './build-plan.ts';
import { executeTasks, plannedRecords, refusedBySink, totals } from './execute-tasks.ts';
import type { WarmPools } from './warm-pools.ts';

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
  /** The daemon's warm worker threads (`krange schedule`); without it a pool lives for this iteration. */
  warm?: WarmPools;
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
  /** Per sink, rows its server refused: bad records that stay in the job's other sinks. */
  refused: Record<string, number>;
  tasks: number;
  skipped: number;
  durationMs: number;
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

/** Refuses a state directory bound to another job; binds one of an older release and says so. */
export async function bindStateDir(
  store: StateStore,
  job: LoadedJob,
  hash: string,
  log?: Logger,
): Promise<void> {
  if ((await bindIdentity(store, job.spec, job.modulePath, hash)) === 'bound')
    log?.warn(
      { event: LogEvents.stateBound, dir: store.dir, module: job.modulePath },
      `state directory ${store.dir} had no job identity (an older release wrote it): bound it to the topics and sinks of ${job.modulePath}`,
    );
}

/** What the tasks of a holder of `lock` carry to check it before their final renames. */
function fenceOf(lock: JobLock, store: StateStore): TaskFence {
  if (lock.generation === undefined)
    throw Errors.config(`job '${lock.job}': tasks run only under the job's lock`);
  const at = store.backend.location;
  // A directory given relative to the driver's working directory means nothing on an executor host.
  const state = isLocalLocation(at) && !at.startsWith('file:') ? resolve(at) : at;
  return { generation: lock.generation, state, dir: store.key() };
}

/** The sinks' clean-up after a commit (Parquet's staging folder); a failure only leaves empty folders. */
async function finishSinks(job: LoadedJob, log: Logger): Promise<void> {
  for (const s of job.spec.sinks)
    await finishIteration(s, job.spec.name, job.endpoints).catch((err: unknown) =>
      log.warn(
        { sink: s.kind, err: (err as Error).message },
        'cannot remove the staging folder after the commit',
      ),
    );
}

export function lockFor(store: StateStore, logger?: Logger): JobLock {
  return new JobLock(
    store.job,
    { backend: store.backend, dir: store.key() },
    logger === undefined ? {} : { logger },
  );
}

/** One iteration of a job: resumes an uncommitted plan first, else plans from the last commit. */
export async function runIteration(job: LoadedJob, opts: RunOptions): Promise<IterationOutcome> {
  const started = performance.now();
  const { spec } = job;
  const log = opts.logger.child({ job: spec.name });
  const store = jobStateStore(spec, opts.stateRoot);
  const lock = lockFor(store, opts.logger);
  const command = opts.command ?? 'krange run';
  await lock.acquire(command);
  const attempt = new AttemptRecorder(store.attemptLog(), command, log);
  try {
    const hash = schemaHash(spec.schema);
    await bindStateDir(store, job, hash, log);
    let plan: Omit<OffsetsFile, 'version'>;
    const pending = await store.pendingIteration();
    const resumed = pending !== undefined;
    if (pending !== undefined) {
      plan = await store.readOffsets(pending);
      if (plan.schemaHash !== hash) throw Errors.schemaChanged(spec.name, plan.schemaHash, hash);
      await attempt.start(pending, lock.generation);
      log.warn(
        { event: LogEvents.iterationResumed, iteration: pending },
        `re-running uncommitted iteration ${pending}`,
      );
    } else {
      const n = ((await store.latestIteration()) ?? -1) + 1;
      const planStarted = performance.now();
      plan = await withAdmin(job, log, (admin) => buildPlan(admin, spec, store, n));
      recordPhase(spec.name, 'plan', performance.now() - planStarted);
      if (isNoop(plan, await jobPositions(spec, store))) {
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
          refused: {},
          tasks: 0,
          skipped: 0,
          durationMs: Math.round(performance.now() - started),
        };
      }
      // Write-ahead: the plan is durable before any task runs.
      await store.writeOffsets(plan);
      await attempt.start(plan.iteration, lock.generation);
      await store.updateSchemaHash(hash);
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
    if (opts.signal?.aborted)
      throw Errors.aborted(`iteration ${plan.iteration} cancelled before its tasks started`);
    const results = await executeTasks(job, store, plan, { ...opts, fence: fenceOf(lock, store) });
    await debugPause('KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS');
    // Fencing: a runner that was presumed gone and taken over must not commit over the new holder.
    await lock.assertHeld(`commit iteration ${plan.iteration}`);
    const commitStarted = performance.now();
    const t = totals(results);
    const refused = refusedBySink(results);
    const durationMs = Math.round(performance.now() - started);
    await store.writeCommit({
      job: spec.name,
      iteration: plan.iteration,
      committedAt: new Date().toISOString(),
      durationMs,
      ranges: plan.ranges,
      records: t.records,
      rows: t.rows,
      bytes: t.bytes,
      badRecords: t.badRecords,
      refused,
      tasks: results,
      skipped: plan.skipped,
    });
    const fold = await foldHistory(store, spec.retainIterations);
    if (fold.folded > 0)
      log.info(
        { event: LogEvents.stateFolded, folded: fold.folded, first: fold.first, last: fold.last },
        `folded iterations ${fold.first}-${fold.last} into history.jsonl (retainIterations ${spec.retainIterations})`,
      );
    recordPhase(spec.name, 'commit', performance.now() - commitStarted);
    await attempt.committed();
    recordTaskResults(spec.name, results, true);
    recordIterationStatus(spec.name, 'committed');
    log.info(
      { event: LogEvents.iterationCommitted, iteration: plan.iteration, ...t, durationMs },
      'committed',
    );
    await finishSinks(job, log);
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
      refused,
      tasks: plan.tasks.length,
      skipped: plan.skipped.length,
      durationMs,
    };
  } catch (err) {
    const aborted = isKrangeError(err, 'KRANGE_ABORTED') || opts.signal?.aborted === true;
    recordIterationStatus(spec.name, aborted ? 'aborted' : 'failed');
    await attempt.ended(err, aborted, opts.signal);
    if (aborted)
      log.warn(
        { event: LogEvents.iterationAborted, iteration: attempt.iteration },
        'iteration aborted; nothing committed',
      );
    else log.error({ event: LogEvents.iterationFailed, err }, 'iteration failed; nothing committed');
    throw err;
  } finally {
    await lock.release();
  }
}

/** Re-processes a saved plan idempotently; the committed position does not move. */
export async function rerunIteration(job: LoadedJob, n: number, opts: RunOptions): Promise<IterationOutcome> {
  const started = performance.now();
  const store = jobStateStore(job.spec, opts.stateRoot);
  if (!(await store.hasOffsets(n))) {
    const folded = (await readHistory(store)).some((h) => h.iteration === n);
    throw Errors.usage(
      folded
        ? `iteration ${n} of job '${job.spec.name}' is folded into history.jsonl (only the newest ${job.spec.retainIterations} keep their plan; raise retainIterations to keep more); its ranges are in 'krange state ${job.spec.name} --json'`
        : `job '${job.spec.name}' has no iteration ${n} (see 'krange state ${job.spec.name}')`,
    );
  }
  const lock = lockFor(store, opts.logger);
  await lock.acquire(opts.command ?? `krange rerun --iteration ${n}`);
  try {
    const plan = await store.readOffsets(n);
    const hash = schemaHash(job.spec.schema);
    await bindStateDir(store, job, hash, opts.logger.child({ job: job.spec.name }));
    if (plan.schemaHash !== hash) throw Errors.schemaChanged(job.spec.name, plan.schemaHash, hash);
    opts.onPlanned?.(plan, false);
    const results = await executeTasks(job, store, plan, { ...opts, fence: fenceOf(lock, store) });
    recordTaskResults(job.spec.name, results, false);
    recordIterationStatus(job.spec.name, 'rerun');
    const t = totals(results);
    const durationMs = Math.round(performance.now() - started);
    await store.writeRerun({
      job: job.spec.name,
      iteration: n,
      finishedAt: new Date().toISOString(),
      durationMs,
      records: t.records,
      tasks: results,
    });
    await finishSinks(job, opts.logger.child({ job: job.spec.name }));
    return {
      job: job.spec.name,
      iteration: n,
      status: 'rerun',
      resumed: false,
      ...t,
      refused: refusedBySink(results),
      tasks: plan.tasks.length,
      skipped: 0,
      durationMs,
    };
  } finally {
    await lock.release();
  }
}
