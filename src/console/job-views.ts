// What the console's JSON API says about a job, read from its state directory (plans, commits,
// lock, progress file) and Kafka's log ends: the jobs-page row and the job page. Reads only.

import { createTask } from 'node-cron';
import { type ProgressFile, readProgress } from '../batch/progress-file.ts';
import type { JobSpec } from '../job/job-spec.ts';
import type { JobPositions, PositionTracker } from '../metrics/job-positions.ts';
import { JobLock } from '../state/job-lock.ts';
import { jobStateStore, type OffsetsFile, type StateStore } from '../state/state-store.ts';
import type { CatalogEntry } from './job-catalog.ts';

export type IterationStatus = 'committed' | 'reset' | 'planned' | 'running' | 'aborted';
export type Health = 'green' | 'amber' | 'red' | 'grey' | 'blue';

export interface IterationView {
  iteration: number;
  status: IterationStatus;
  plannedAt: string;
  committedAt: string | null;
  records: number;
  plannedRecords: number;
  rows: number;
  bytes: number;
  badRecords: number;
  tasks: number;
  durationMs: number | null;
  /** Records per second of the whole iteration. */
  rate: number | null;
}

export interface JobSummary {
  name: string;
  description: string | null;
  topics: string[];
  sinks: string[];
  schedule: { cron: string; timezone: string | null } | null;
  nextRun: string | null;
  aggregate: boolean;
  loadError: string | null;
  last: IterationView | null;
  iterations: number;
  totalLag: number | null;
  running: ProgressFile | null;
  health: Health;
  healthReason: string;
}

function nextRun(spec: JobSpec | undefined): string | null {
  if (spec?.schedule === undefined) return null;
  try {
    const task = createTask(spec.schedule.cron, () => undefined, {
      ...(spec.schedule.timezone === undefined ? {} : { timezone: spec.schedule.timezone }),
    });
    const next = task.getNextRuns(1)[0];
    void task.destroy();
    return next?.toISOString() ?? null;
  } catch {
    return null;
  }
}

function plannedRecords(plan: OffsetsFile): number {
  return plan.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.begin)), 0);
}

function lockOf(store: StateStore): JobLock {
  return new JobLock(store.job, { backend: store.backend, dir: store.key() });
}

/** The live runner's progress, when a live process holds the lock. */
export async function liveProgress(store: StateStore): Promise<ProgressFile | null> {
  const lock = lockOf(store);
  const owner = await lock.readOwner();
  if (owner === undefined || lock.isStale(owner)) return null;
  const p = readProgress(store);
  return p !== undefined && p.pid === owner.pid ? p : null;
}

async function runnerAlive(store: StateStore): Promise<boolean> {
  const lock = lockOf(store);
  const owner = await lock.readOwner();
  return owner !== undefined && !lock.isStale(owner);
}

export async function iterationView(
  store: StateStore,
  n: number,
  latest: boolean,
  running: ProgressFile | null,
): Promise<IterationView> {
  const plan = await store.readOffsets(n);
  const commit = await store.readCommitIfAny(n);
  let status: IterationStatus;
  if (commit !== undefined) status = plan.kind === 'reset' ? 'reset' : 'committed';
  else if (running?.iteration === n) status = 'running';
  else if (latest && (await runnerAlive(store))) status = 'planned';
  else status = 'aborted';
  const records =
    commit?.records ?? (running?.iteration === n ? running.tasks.reduce((s, t) => s + t.records, 0) : 0);
  return {
    iteration: n,
    status,
    plannedAt: plan.plannedAt,
    committedAt: commit?.committedAt ?? null,
    records,
    plannedRecords: plannedRecords(plan),
    rows: commit?.rows ?? 0,
    bytes: commit?.bytes ?? 0,
    badRecords: commit?.badRecords ?? 0,
    tasks: plan.tasks.length,
    durationMs: commit?.durationMs ?? null,
    rate:
      commit !== undefined && commit.durationMs > 0
        ? Math.round(commit.records / (commit.durationMs / 1000))
        : null,
  };
}

function health(
  last: IterationView | null,
  running: ProgressFile | null,
  lag: number | null,
  entry: CatalogEntry,
): [Health, string] {
  if (entry.loadError !== undefined) return ['red', 'the job module does not load'];
  if (running !== null) return ['blue', `iteration ${running.iteration} running`];
  if (last === null) return ['grey', 'never run'];
  if (last.status === 'aborted')
    return ['red', `iteration ${last.iteration} did not commit; the next run re-runs it`];
  if (last.status === 'planned') return ['blue', `iteration ${last.iteration} planned`];
  if (lag !== null && lag > 0) return ['amber', `${lag} records behind`];
  return ['green', lag === null ? 'committed (log end unknown)' : 'caught up'];
}

export async function jobSummary(
  entry: CatalogEntry,
  root: string,
  tracker: PositionTracker,
): Promise<JobSummary> {
  const spec = entry.job?.spec;
  const store = jobStateStore({ name: entry.name, stateStore: entry.job?.spec.stateStore }, root);
  const running = await liveProgress(store);
  const iterations = await store.iterations();
  const latest = iterations.at(-1);
  let last: IterationView | null = null;
  if (latest !== undefined) {
    try {
      last = await iterationView(store, latest, true, running);
    } catch {
      last = null;
    }
  }
  const pos: JobPositions = await tracker.positions(entry.name);
  const [h, reason] = health(last, running, pos.totalLag, entry);
  return {
    name: entry.name,
    description: spec?.description ?? null,
    topics:
      spec === undefined
        ? [...new Set(pos.partitions.map((p) => p.topic))]
        : Array.isArray(spec.topics)
          ? spec.topics
          : [String(spec.topics)],
    sinks:
      spec?.sinks.map(
        (s) =>
          `${s.kind}:${s.kind === 'parquet' ? s.path : s.kind === 'mongo' ? `${s.database}.${s.collection}` : s.key}`,
      ) ?? [],
    schedule: spec?.schedule ? { cron: spec.schedule.cron, timezone: spec.schedule.timezone ?? null } : null,
    nextRun: nextRun(spec),
    aggregate: spec?.aggregate !== undefined,
    loadError: entry.loadError ?? null,
    last,
    iterations: iterations.length,
    totalLag: pos.totalLag,
    running,
    health: h,
    healthReason: reason,
  };
}
