// `krange rerun <job> -i <n>`: re-processes the saved plan of an iteration idempotently (the
// committed position does not move), with the same summary as `run`.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { rerunIteration } from '../../batch/run-iteration.ts';
import { jobFromArg } from '../job-arg.ts';
import { executorsKind, wholeNumber } from '../option-values.ts';
import { ProgressBar } from '../progress.ts';
import { type RunFlags, summary } from './run.ts';

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

export function registerRerunCommand(program: Command, logger: Logger): void {
  program
    .command('rerun <job>')
    .description(
      're-process the saved plan of an iteration idempotently (the committed position does not move)',
    )
    .requiredOption('-i, --iteration <n>', 'iteration number (see krange state)', wholeNumber('--iteration'))
    .option('-w, --workers <n>', 'worker threads', wholeNumber('--workers'))
    .option(
      '--executors <kind>',
      "threads (local worker threads) or bullmq (krange executor processes); overrides the job's executors",
      executorsKind,
    )
    .option('--json', 'print the outcome as JSON')
    .action((job: string, flags: RunFlags & { iteration: number }) =>
      rerunCommand(job, flags.iteration, flags, logger),
    );
}
