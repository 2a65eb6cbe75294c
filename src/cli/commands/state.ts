// `krange state <job>`: the job's iterations from its state directory, as a table or JSON.

import { loadJob } from '../../job/job-loader.ts';
import { StateStore } from '../../state/state-store.ts';
import { fmtBytes, fmtInt, fmtSeconds, table } from '../format.ts';

export interface IterationState {
  iteration: number;
  kind: 'run' | 'reset';
  status: 'committed' | 'pending';
  plannedAt: string;
  committedAt: string | null;
  ranges: { topic: string; partition: number; begin: string; end: string }[];
  tasks: number;
  records: number | null;
  bytes: number | null;
  files: number | null;
  badRecords: number | null;
  skipped: number;
  durationMs: number | null;
}

export function readState(store: StateStore): IterationState[] {
  return store.iterations().map((n) => {
    const plan = store.readOffsets(n);
    const commit = store.hasCommit(n) ? store.readCommit(n) : undefined;
    return {
      iteration: n,
      kind: plan.kind,
      status: commit ? 'committed' : 'pending',
      plannedAt: plan.plannedAt,
      committedAt: commit?.committedAt ?? null,
      ranges: plan.ranges,
      tasks: plan.tasks.length,
      records: commit?.records ?? null,
      bytes: commit?.bytes ?? null,
      files: commit ? commit.tasks.reduce((s, t) => s + t.files.length, 0) : null,
      badRecords: commit?.badRecords ?? null,
      skipped: plan.skipped.length,
      durationMs: commit?.durationMs ?? null,
    };
  });
}

function describeRanges(s: IterationState): string {
  const nonEmpty = s.ranges.filter((r) => r.begin !== r.end);
  if (s.kind === 'reset') return `reset to ${s.ranges.map((r) => `${r.partition}@${r.end}`).join(' ')}`;
  if (nonEmpty.length === 0) return '(no new records)';
  const shown = nonEmpty.slice(0, 3).map((r) => `${r.topic}[${r.partition}] ${r.begin}-${r.end}`);
  return nonEmpty.length > 3 ? `${shown.join(', ')} +${nonEmpty.length - 3} more` : shown.join(', ');
}

export async function stateCommand(jobName: string, flags: { json?: boolean }): Promise<void> {
  const job = await loadJob(jobName);
  const store = new StateStore(job.spec.name);
  const state = readState(store);
  const meta = store.readMetadata();
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ job: job.spec.name, dir: store.dir, metadata: meta ?? null, iterations: state }, null, 2)}\n`,
    );
    return;
  }
  if (state.length === 0) {
    process.stdout.write(`${job.spec.name}: no iterations yet (state in ${store.dir})\n`);
    return;
  }
  const rows = state.map((s) => [
    String(s.iteration),
    s.status + (s.kind === 'reset' ? ' (reset)' : ''),
    describeRanges(s),
    s.records === null ? '-' : fmtInt(s.records),
    s.files === null ? '-' : fmtInt(s.files),
    s.bytes === null ? '-' : fmtBytes(s.bytes),
    s.durationMs === null ? '-' : fmtSeconds(s.durationMs),
  ]);
  process.stdout.write(
    `${job.spec.name} (state in ${store.dir})\n${table(['iteration', 'status', 'ranges', 'records', 'files', 'bytes', 'duration'], rows)}\n`,
  );
}
