// `krange run <job>`: one iteration (or until caught up), with a progress bar on a TTY and an end
// summary (records, bytes, files, seconds, records/s) on stdout; SIGTERM/SIGINT stop it cleanly.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { finishOrAbort, stopRequests } from '../../batch/graceful-stop.ts';
import { type IterationOutcome, runIteration } from '../../batch/run-iteration.ts';
import type { ExecutorsKind } from '../../job/options/executors-options.ts';
import { fmtBytes, fmtInt, fmtRate, fmtSeconds } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';
import { executorsKind, wholeNumber } from '../option-values.ts';
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

export function registerRunCommand(program: Command, logger: Logger): void {
  program
    .command('run <job>')
    .description(
      'run one iteration (an uncommitted plan is re-run first); <job> is a name in ./jobs or a path',
    )
    .option('--until-caught-up', 'repeat iterations until there is no lag')
    .option(
      '-w, --workers <n>',
      "worker threads (default: the job's limits.workers or available parallelism)",
      wholeNumber('--workers'),
    )
    .option(
      '--executors <kind>',
      "threads (local worker threads) or bullmq (krange executor processes); overrides the job's executors",
      executorsKind,
    )
    .option(
      '--grace <seconds>',
      'on SIGTERM/SIGINT, how long the running iteration may take to finish and commit before it is aborted uncommitted',
      wholeNumber('--grace'),
      0,
    )
    .option('--json', 'print the outcome as JSON')
    .action((job: string, flags: RunFlags) => runCommand(job, flags, logger));
}
