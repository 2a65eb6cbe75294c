// The job page's data: the iteration timeline, lag per partition now and at each plan (the backlog
// each iteration took on), throughput, the files of recent commits, bad records with the
// dead-letter location, and the running iteration's progress.

import type { JobSpec } from '../job/job-spec.ts';
import type { PartitionPosition, PositionTracker } from '../metrics/job-positions.ts';
import { jobStateStore } from '../state/state-store.ts';
import type { CatalogEntry } from './job-catalog.ts';
import { type IterationView, iterationView, liveProgress } from './job-views.ts';

/** Iterations shown on the timeline and charts (the newest). */
const SHOWN = 200;
/** Commits whose files are listed. */
const FILE_COMMITS = 5;

export interface LagPoint {
  iteration: number;
  /** Unix ms of the plan. */
  at: number;
  /** Records between the committed position and the log end when the iteration was planned, per `topic:partition`. */
  backlog: Record<string, number>;
}

export interface FileView {
  iteration: number;
  task: string;
  sink: string;
  path: string;
}

export interface JobDetail {
  name: string;
  iterations: IterationView[];
  lagNow: PartitionPosition[];
  lagHistory: LagPoint[];
  files: FileView[];
  badRecords: { total: number; deadLetter: string | null; policy: string };
  running: Awaited<ReturnType<typeof liveProgress>>;
}

function deadLetterOf(spec: JobSpec | undefined): { deadLetter: string | null; policy: string } {
  const p = spec?.onBadRecord;
  if (p === undefined) return { deadLetter: null, policy: 'unknown' };
  if (typeof p === 'string') return { deadLetter: null, policy: p };
  const d = p.deadLetter as { topic?: string; path?: string };
  return {
    deadLetter: d.topic !== undefined ? `topic ${d.topic}` : `path ${d.path ?? '?'}`,
    policy: 'deadLetter',
  };
}

export async function jobDetail(
  entry: CatalogEntry,
  root: string,
  tracker: PositionTracker,
): Promise<JobDetail> {
  const store = jobStateStore({ name: entry.name, stateStore: entry.job?.spec.stateStore }, root);
  const running = await liveProgress(store);
  const all = await store.iterations();
  const shown = all.slice(-SHOWN);
  const latest = all.at(-1);
  const iterations: IterationView[] = [];
  const lagHistory: LagPoint[] = [];
  for (const n of shown) {
    try {
      iterations.push(await iterationView(store, n, n === latest, running));
      const plan = await store.readOffsets(n);
      if (plan.kind === 'reset') continue;
      const backlog: Record<string, number> = {};
      for (const r of plan.ranges)
        backlog[`${r.topic}:${r.partition}`] = Number(BigInt(r.end) - BigInt(r.begin));
      lagHistory.push({ iteration: n, at: Date.parse(plan.plannedAt), backlog });
    } catch {
      // a corrupt file shows as a gap; `krange state` names it
    }
  }
  const files: FileView[] = [];
  let bad = 0;
  for (const n of (await store.committedIterations()).slice(-FILE_COMMITS).reverse()) {
    try {
      const c = await store.readCommit(n);
      for (const t of c.tasks) {
        const sink =
          Object.keys(t.sinks).find((s) => s.startsWith('parquet:')) ?? Object.keys(t.sinks)[0] ?? '';
        for (const f of t.files) files.push({ iteration: n, task: t.id, sink, path: f });
      }
    } catch {
      // as above
    }
  }
  for (const it of iterations) bad += it.badRecords;
  const pos = await tracker.positions(entry.name);
  return {
    name: entry.name,
    iterations,
    lagNow: pos.partitions,
    lagHistory,
    files,
    badRecords: { total: bad, ...deadLetterOf(entry.job?.spec) },
    running,
  };
}
