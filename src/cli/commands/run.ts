// `krange run | plan | rerun | reset`: the batch commands, with a progress bar on a TTY and an
// end summary (records, bytes, files, seconds, records/s) on stdout.

import { createInterface } from 'node:readline/promises';
import type { Logger } from 'pino';
import { buildPlan } from '../../batch/build-plan.ts';
import { finishOrAbort, stopRequests } from '../../batch/graceful-stop.ts';
import { applyReset, parseResetTarget, previewReset, type ResetPreview } from '../../batch/reset-job.ts';
import { type IterationOutcome, rerunIteration, runIteration } from '../../batch/run-iteration.ts';
import { Errors } from '../../errors.ts';
import type { LoadedJob } from '../../job/job-loader.ts';
import type { ExecutorsKind } from '../../job/options/executors-options.ts';
import { describeColumns } from '../../job/schema.ts';
import { connectAdmin } from '../../kafka/kafka-client.ts';
import { fastPathEnabled, fastPathRefusal, recordsPathLine } from '../../records/fast-path.ts';
import { assertIdentity } from '../../state/state-identity.ts';
import { StateStore } from '../../state/state-store.ts';
import { fmtBytes, fmtInt, fmtRate, fmtSeconds, table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';
import { ProgressBar } from '../progress.ts';

export function summary(o: IterationOutcome): string {
  if (o.status === 'noop') return `${o.job}: nothing new; 0 records (${fmtSeconds(o.durationMs)})`;
  const what = o.status === 'rerun' ? `rerun of iteration ${o.iteration}` : `iteration ${o.iteration}`;
  const resumed = o.resumed ? ' (resumed uncommitted plan)' : '';
  return [
    `${o.job}: ${what} committed${resumed}`,
    `  records   ${fmtInt(o.records)}${o.badRecords ? ` (${fmtInt(o.badRecords)} bad)` : ''}`,
    ...Object.entries(o.refused)
      .filter(([, n]) => n > 0)
      .map(([sink, n]) => `  refused   ${fmtInt(n)} row(s) by ${sink} (kept by the other sinks)`),
    `  rows      ${fmtInt(o.rows)}`,
    `  bytes     ${fmtBytes(o.bytes)}`,
    `  files     ${fmtInt(o.files)}`,
    `  tasks     ${fmtInt(o.tasks)}${o.skipped ? `  (${o.skipped} range(s) skipped for data loss)` : ''}`,
    `  seconds   ${(o.durationMs / 1000).toFixed(2)}`,
    `  rate      ${fmtRate(o.records, o.durationMs)}`,
  ].join('\n');
}

export interface RunFlags {
  untilCaughtUp?: boolean;
  workers?: number;
  executors?: ExecutorsKind;
  json?: boolean;
  /** `run` only: seconds a running iteration may take to finish after SIGTERM/SIGINT (default 0). */
  grace?: number;
}

/** A run stopped by a signal exits 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * `krange run`. SIGTERM/SIGINT stop it: no further iteration starts; the running one may finish and
 * commit within `--grace` seconds (default 0), else it is aborted (its tasks stopped, nothing of it
 * committed, the lock released, the attempt recorded as aborted); a second signal aborts at once.
 * It then says what happened and how to resume, and exits 130 (SIGINT) or 143 (SIGTERM).
 */
export async function runCommand(jobName: string, flags: RunFlags, logger: Logger): Promise<void> {
  const job = await jobFromArg(jobName);
  const stop = stopRequests({});
  const abort = new AbortController();
  const graceMs = (flags.grace ?? 0) * 1000;
  let stoppedBy: NodeJS.Signals | undefined;
  let current: Promise<unknown> | undefined;
  let iteration: number | undefined;
  void stop.stopped.then((sig) => {
    stoppedBy = sig;
    const what =
      current === undefined
        ? 'stopping'
        : graceMs > 0
          ? `the running iteration may finish and commit within ${flags.grace} s, else it is aborted (a second signal aborts it now)`
          : 'aborting the running iteration without committing it';
    process.stderr.write(`krange: ${sig} received: ${what}\n`);
    if (current === undefined) abort.abort(sig);
    else void finishOrAbort(current, graceMs, stop.again, () => abort.abort(sig));
  });
  const stopped = (sig: NodeJS.Signals, line: string, outcome?: IterationOutcome): void => {
    process.stderr.write(`krange: ${line}\n`);
    if (flags.json && outcome === undefined)
      process.stdout.write(
        `${JSON.stringify({ job: job.spec.name, iteration: iteration ?? null, status: 'aborted', signal: sig })}\n`,
      );
    process.exitCode = SIGNAL_EXIT[sig] ?? 1;
  };
  try {
    for (;;) {
      if (stoppedBy !== undefined) {
        stopped(stoppedBy, `stopped by ${stoppedBy} before the next iteration; nothing more was planned`);
        return;
      }
      iteration = undefined;
      const bar = new ProgressBar();
      let outcome: IterationOutcome;
      const run = runIteration(job, {
        logger,
        ...(flags.workers ? { workers: flags.workers } : {}),
        ...(flags.executors ? { executors: flags.executors } : {}),
        signal: abort.signal,
        onPlanned: (plan) => {
          iteration = plan.iteration;
        },
        onProgress: (done, planned) => bar.update(done, planned),
      });
      current = run;
      try {
        outcome = await run;
      } catch (err) {
        if (stoppedBy === undefined || !abort.signal.aborted) throw err;
        stopped(
          stoppedBy,
          iteration === undefined
            ? `stopped by ${stoppedBy} before an iteration was planned; nothing was written and the job lock is released`
            : `stopped by ${stoppedBy}: iteration ${iteration} of job '${job.spec.name}' was aborted; nothing of it ` +
                `was committed and the job lock is released. 'krange run ${jobName}' re-runs the same plan ` +
                '(its outputs are replaced, not doubled)',
        );
        return;
      } finally {
        current = undefined;
        bar.done();
      }
      process.stdout.write(`${flags.json ? JSON.stringify(outcome) : summary(outcome)}\n`);
      if (stoppedBy !== undefined) {
        stopped(
          stoppedBy,
          `stopped by ${stoppedBy} after ${outcome.status === 'noop' ? 'finding nothing new' : `iteration ${outcome.iteration} committed`}; no further iteration was started`,
          outcome,
        );
        return;
      }
      if (!flags.untilCaughtUp || outcome.status === 'noop') return;
    }
  } finally {
    stop.dispose();
  }
}

export async function planCommand(jobName: string, flags: { json?: boolean }, logger: Logger): Promise<void> {
  const job = await jobFromArg(jobName);
  const store = new StateStore(job.spec.name);
  assertIdentity(store, job.spec, job.modulePath);
  const pending = store.pendingIteration();
  const plan =
    pending !== undefined
      ? store.readOffsets(pending)
      : await (async () => {
          const admin = await connectAdmin(job, logger);
          try {
            return await buildPlan(admin, job.spec, store, (store.latestIteration() ?? -1) + 1);
          } finally {
            await admin.disconnect();
          }
        })();
  const refusal = fastPathRefusal(job.spec);
  const records = recordsPathLine(job.spec);
  if (flags.json) {
    const fastPath = {
      applies: refusal === undefined,
      enabled: fastPathEnabled(job.spec),
      ...(refusal === undefined ? {} : { reason: refusal }),
    };
    const schema = describeColumns(job.spec.schema);
    const origin = job.schemaOrigin;
    process.stdout.write(
      `${JSON.stringify({ pending: pending !== undefined, ...plan, fastPath, schema, ...(origin === undefined ? {} : { schemaOrigin: origin }) }, null, 2)}\n`,
    );
    return;
  }
  const head =
    pending !== undefined
      ? `${job.spec.name}: iteration ${pending} is planned but not committed; the next run re-runs it`
      : `${job.spec.name}: iteration ${plan.iteration} would read (dry run, nothing written)`;
  const rows = plan.ranges.map((r) => [
    r.topic,
    String(r.partition),
    r.begin,
    r.end,
    fmtInt(Number(BigInt(r.end) - BigInt(r.begin))),
    String(plan.tasks.filter((t) => t.topic === r.topic && t.partition === r.partition).length),
  ]);
  const total = plan.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.begin)), 0);
  process.stdout.write(
    `${head}\n${table(['topic', 'partition', 'begin', 'end', 'records', 'tasks'], rows)}\n` +
      `total: ${fmtInt(total)} records in ${plan.tasks.length} task(s)` +
      `${plan.skipped.length ? `; ${plan.skipped.length} range(s) would be skipped (data loss)` : ''}\n` +
      `${records}\n${describeSchema(job)}\n`,
  );
}

/** The columns every sink is written with: name, type, nullability, and where a derived schema came from. */
export function describeSchema(job: LoadedJob): string {
  const cols = describeColumns(job.spec.schema);
  const from = job.schemaOrigin === undefined ? 'declared in the job' : `from ${job.schemaOrigin.text}`;
  return (
    `schema written (${cols.length} column${cols.length === 1 ? '' : 's'}, ${from}):\n` +
    table(
      ['column', 'type', 'nullable'],
      cols.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no']),
    )
  );
}

export async function rerunCommand(
  jobName: string,
  iteration: number,
  flags: RunFlags,
  logger: Logger,
): Promise<void> {
  const job = await jobFromArg(jobName);
  const bar = new ProgressBar();
  try {
    const o = await rerunIteration(job, iteration, {
      logger,
      ...(flags.workers ? { workers: flags.workers } : {}),
      ...(flags.executors ? { executors: flags.executors } : {}),
      onProgress: (d, p) => bar.update(d, p),
    });
    bar.done();
    process.stdout.write(`${flags.json ? JSON.stringify(o) : summary(o)}\n`);
  } finally {
    bar.done();
  }
}

/** The reset as a table, like `plan`: each partition's position now and after, and what the next run reads. */
export function describeReset(p: ResetPreview): string {
  const rows = p.rows.map((r) => [
    r.topic,
    String(r.partition),
    r.current ?? '-',
    r.next,
    r.logEnd,
    fmtInt(Number(BigInt(r.logEnd) - BigInt(r.next))),
    r.kept ? 'keeps its position' : r.current === r.next ? 'unchanged' : 'reset',
  ]);
  const kept = p.rows.filter((r) => r.kept);
  const total = p.rows.reduce((s, r) => s + Number(BigInt(r.logEnd) - BigInt(r.next)), 0);
  return [
    `${p.job}: reset as iteration ${p.iteration}; the next run would read`,
    table(['topic', 'partition', 'now', 'begins at', 'log end', 'records', ''], rows),
    `total: ${fmtInt(total)} records` +
      (kept.length > 0 ? `; ${kept.length} partition(s) not named keep their position` : ''),
    ...(p.abandons !== undefined
      ? [`iteration ${p.abandons} is planned but not committed: the reset abandons it`]
      : []),
  ].join('\n');
}

export async function resetCommand(
  jobName: string,
  flags: { to?: string; toDatetime?: string; yes?: boolean },
  logger: Logger,
): Promise<void> {
  const target = parseResetTarget(flags.to, flags.toDatetime);
  const job = await jobFromArg(jobName);
  const preview = await previewReset(job, target, { logger });
  process.stdout.write(`${describeReset(preview)}\n`);
  if (!flags.yes) {
    if (!process.stdin.isTTY)
      throw Errors.usage('nothing changed: reset changes where the next run begins; confirm with --yes');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Reset '${job.spec.name}' as shown? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw Errors.usage('reset cancelled; nothing changed');
  }
  const plan = applyReset(job, preview, { logger });
  process.stdout.write(
    `${job.spec.name}: reset done (iteration ${plan.iteration} committed); the next run begins as shown\n`,
  );
}
