// `krange state <job>`: the job's iterations from its state directory, as a table or JSON.

import type { Command } from 'commander';
import { lockFor } from '../../batch/run-iteration.ts';
import { Errors } from '../../errors.ts';
import type { LoadedJob } from '../../job/job-loader.ts';
import { schemaHash } from '../../job/schema.ts';
import type { Attempt } from '../../state/attempt-log.ts';
import { readHistory } from '../../state/state-history.ts';
import { compareIdentity, type IdentityCheck, rebindIdentity } from '../../state/state-identity.ts';
import { migrateState } from '../../state/state-migrate.ts';
import { jobStateStore, StateStore } from '../../state/state-store.ts';
import { fmtBytes, fmtInt, fmtSeconds, table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';

/**
 * committed; running (its attempt's runner holds the lock now); aborted (stopped by a signal,
 * nothing committed); killed (its runner died: recorded by the next run, or seen here as a running
 * attempt whose lock generation is gone); failed; pending (planned, never attempted: also every
 * uncommitted plan of an older release); abandoned (a reset moved past it uncommitted).
 */
export type IterationStatus =
  | 'committed'
  | 'running'
  | 'aborted'
  | 'killed'
  | 'failed'
  | 'pending'
  | 'abandoned';

export interface IterationState {
  iteration: number;
  kind: 'run' | 'reset';
  status: IterationStatus;
  /** The runs that executed this plan, oldest first (none for directories of older releases). */
  attempts: Attempt[];
  plannedAt: string;
  committedAt: string | null;
  ranges: { topic: string; partition: number; begin: string; end: string }[];
  tasks: number;
  records: number | null;
  bytes: number | null;
  files: number | null;
  badRecords: number | null;
  /**
   * Per sink, rows its server refused (counted in badRecords too): such a row stays in the job's
   * other sinks. Null while pending or for commits of older releases.
   */
  refused: Record<string, number> | null;
  skipped: number;
  durationMs: number | null;
}

function uncommittedStatus(
  newest: boolean,
  attempts: Attempt[],
  holder: number | undefined,
): IterationStatus {
  if (!newest) return 'abandoned';
  const last = attempts.at(-1);
  if (last === undefined || last.outcome === 'committed') return 'pending';
  if (last.outcome !== 'running') return last.outcome;
  return holder !== undefined && holder === last.lockGeneration ? 'running' : 'killed';
}

export async function readState(store: StateStore): Promise<IterationState[]> {
  const all = await store.iterations();
  const holder = (await lockFor(store).liveHolder())?.generation;
  const log = store.attemptLog();
  const out: IterationState[] = [];
  for (const n of all) {
    const plan = await store.readOffsets(n);
    const commit = await store.readCommitIfAny(n);
    const attempts = await log.read(n);
    out.push({
      iteration: n,
      kind: plan.kind,
      status: commit ? 'committed' : uncommittedStatus(n === all.at(-1), attempts, holder),
      attempts,
      plannedAt: plan.plannedAt,
      committedAt: commit?.committedAt ?? null,
      ranges: plan.ranges,
      tasks: plan.tasks.length,
      records: commit?.records ?? null,
      bytes: commit?.bytes ?? null,
      files: commit ? commit.tasks.reduce((s, t) => s + t.files.length, 0) : null,
      badRecords: commit?.badRecords ?? null,
      refused: commit?.refused ?? null,
      skipped: plan.skipped.length,
      durationMs: commit?.durationMs ?? null,
    });
  }
  return out;
}

function describeStatus(s: IterationState): string {
  const last = s.attempts.at(-1);
  if (s.kind === 'reset') return `${s.status} (reset)`;
  switch (s.status) {
    case 'running':
      return `running (pid ${last?.pid} on ${last?.host}, since ${last?.startedAt})`;
    case 'aborted':
      return `aborted (${last?.reason ?? 'signal'})`;
    case 'failed':
      return `failed (${(last?.reason ?? '').replace(/:.*$/s, '')})`;
    case 'killed':
      return `killed (pid ${last?.pid} on ${last?.host})`;
    default:
      return s.status;
  }
}

/** `3`, or `3 (redis:k refused 1)` when sinks refused rows that the other sinks kept. */
function describeBad(s: IterationState): string {
  if (s.badRecords === null) return '-';
  const refused = Object.entries(s.refused ?? {}).filter(([, n]) => n > 0);
  if (refused.length === 0) return fmtInt(s.badRecords);
  return `${fmtInt(s.badRecords)} (${refused.map(([sink, n]) => `${sink} refused ${fmtInt(n)}`).join(', ')})`;
}

function describeRanges(s: IterationState): string {
  const nonEmpty = s.ranges.filter((r) => r.begin !== r.end);
  if (s.kind === 'reset') return `reset to ${s.ranges.map((r) => `${r.partition}@${r.end}`).join(' ')}`;
  if (nonEmpty.length === 0) return '(no new records)';
  const shown = nonEmpty.slice(0, 3).map((r) => `${r.topic}[${r.partition}] ${r.begin}-${r.end}`);
  return nonEmpty.length > 3 ? `${shown.join(', ')} +${nonEmpty.length - 3} more` : shown.join(', ');
}

function identityLine(job: string, c: IdentityCheck): string {
  if (c.status === 'matches') return '';
  if (c.status === 'unbound')
    return 'note: this state directory has no job identity yet; the next run, rerun or reset binds it to this job\n';
  return (
    `warning: this state directory is bound to another definition of '${job}' (from ${c.bound.module}): ` +
    `${c.differences.join('; ')}; runs are refused until 'krange state ${job} --rebind'\n`
  );
}

/** `krange state <job> --rebind`: binds the state directory to the job as it is now, under the lock. */
async function rebind(job: LoadedJob, store: StateStore): Promise<void> {
  const lock = lockFor(store);
  await lock.acquire('krange state --rebind');
  try {
    const before = await compareIdentity(store, job.spec, job.modulePath);
    const old = await rebindIdentity(store, job.spec, job.modulePath, schemaHash(job.spec.schema));
    const now = (await store.readMetadata())?.identity;
    const what =
      before.status === 'differs'
        ? `was bound to ${old?.module ?? '?'} (${before.differences.join('; ')})`
        : before.status === 'unbound'
          ? 'had no identity'
          : 'was already bound to this definition';
    process.stdout.write(
      `${job.spec.name}: state directory ${store.dir} is now bound to ${job.modulePath}: ` +
        `topics ${now?.topics.join(', ')}; sinks ${now?.sinks.join(', ')} (it ${what}); committed positions are kept\n`,
    );
  } finally {
    await lock.release();
  }
}

export async function stateCommand(
  jobName: string,
  flags: { json?: boolean; rebind?: boolean },
): Promise<void> {
  const job = await jobFromArg(jobName);
  const store = jobStateStore(job.spec);
  if (flags.rebind) return rebind(job, store);
  const state = await readState(store);
  const meta = await store.readMetadata();
  const identity = await compareIdentity(store, job.spec, job.modulePath);
  const history = await readHistory(store);
  if (flags.json) {
    const id =
      identity.status === 'differs'
        ? { status: identity.status, differences: identity.differences }
        : { status: identity.status };
    process.stdout.write(
      `${JSON.stringify({ job: job.spec.name, dir: store.dir, metadata: meta ?? null, identity: id, history, iterations: state }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(identityLine(job.spec.name, identity));
  if (state.length === 0 && history.length === 0) {
    process.stdout.write(`${job.spec.name}: no iterations yet (state in ${store.dir})\n`);
    return;
  }
  const rows = state.map((s) => [
    String(s.iteration),
    describeStatus(s),
    String(s.attempts.length),
    describeRanges(s),
    s.records === null ? '-' : fmtInt(s.records),
    describeBad(s),
    s.files === null ? '-' : fmtInt(s.files),
    s.bytes === null ? '-' : fmtBytes(s.bytes),
    s.durationMs === null ? '-' : fmtSeconds(s.durationMs),
  ]);
  if (history.length > 0) {
    const sum = (f: (h: (typeof history)[number]) => number) => history.reduce((a, h) => a + f(h), 0);
    const first = history[0]?.iteration;
    const last = history.at(-1)?.iteration;
    rows.unshift([
      `${first}-${last}`,
      `folded (${fmtInt(history.length)})`,
      '-',
      'in history.jsonl (--json lists each)',
      fmtInt(sum((h) => h.records)),
      fmtInt(sum((h) => h.badRecords)),
      fmtInt(sum((h) => h.files.length)),
      fmtBytes(sum((h) => h.bytes)),
      fmtSeconds(sum((h) => h.durationMs)),
    ]);
  }
  process.stdout.write(
    `${job.spec.name} (state in ${store.dir})\n${table(['iteration', 'status', 'attempts', 'ranges', 'records', 'bad', 'files', 'bytes', 'duration'], rows)}\n`,
  );
}

/** `krange state <job> migrate --to <url>`: copies the job's state to another store and verifies it. */
async function migrateCommand(jobName: string, to: string | undefined): Promise<void> {
  if (to === undefined)
    throw Errors.usage('migrate needs --to <url> (webhdfs:///dir, postgres:, file:///dir)');
  const job = await jobFromArg(jobName);
  const from = jobStateStore(job.spec);
  const target = new StateStore(job.spec.name, to);
  const m = await migrateState(from, target, 'krange state migrate');
  process.stdout.write(
    `${job.spec.name}: copied ${fmtInt(m.files)} state files (${fmtBytes(m.bytes)}) from ${m.from} to ${m.to} and verified them ` +
      `(newest commit ${m.committed ?? 'none'}${m.pending === undefined ? '' : `, plan ${m.pending} pending`}).\n` +
      `Now set stateStore: '${to}' in ${job.modulePath} (or KRANGE_STATE_URL=${to} for every driver): until then runs keep using ${m.from}, ` +
      `which is left as it was; remove it once the job runs from the new store.\n`,
  );
}

export function registerStateCommand(program: Command): void {
  program
    .command('state <job> [action]')
    .description(
      "show the iterations in the job's state store (committed, running, aborted, killed, failed, pending, abandoned), with bad records and the rows each sink refused; " +
        "'migrate --to <url>' copies the job's state to another store (webhdfs:///dir, postgres:, file:///dir) and verifies the copy",
    )
    .option('--json', 'print as JSON')
    .option(
      '--rebind',
      'bind the state directory to the job as it is now (its topics and sinks), after a deliberate change',
    )
    .option('--to <url>', 'with migrate: the state store to copy to (it must hold no state for the job)')
    .action(
      (job: string, action: string | undefined, flags: { json?: boolean; rebind?: boolean; to?: string }) => {
        if (action === undefined) return stateCommand(job, flags);
        if (action === 'migrate') return migrateCommand(job, flags.to);
        throw Errors.usage(
          `unknown state action '${action}': the only one is migrate (krange state <job> migrate --to <url>)`,
        );
      },
    );
}
