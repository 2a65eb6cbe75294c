// `krange executor [jobs...]`: serves the jobs' BullMQ task queues on this host's warm worker
// threads (executor/executor.ts) until SIGTERM/SIGINT; run any number of them on any hosts.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { Errors } from '../../errors.ts';
import { refuseSharedNames } from '../../job/job-finder.ts';
import { listJobFiles, loadJob } from '../../job/job-loader.ts';
import { jobFromArg } from '../job-arg.ts';
import { addMetricsOptions, type MetricsFlags, serveMetrics } from '../metrics-option.ts';
import { positiveNumber } from '../option-values.ts';

export interface ExecutorFlags extends MetricsFlags {
  threads?: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
}

export async function executorCommand(names: string[], flags: ExecutorFlags, logger: Logger): Promise<void> {
  const files = names.length > 0 ? names : listJobFiles();
  if (files.length === 0)
    throw Errors.usage('no jobs to serve: name them or put them in ./jobs (KRANGE_JOBS_DIR)');
  const jobs = [];
  for (const f of files) jobs.push(names.length > 0 ? await jobFromArg(f) : await loadJob(f));
  refuseSharedNames(jobs);
  const { runExecutor } = await import('../../executor/executor.ts');
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort());
  process.once('SIGINT', () => ac.abort());
  const close = await serveMetrics(flags, logger);
  try {
    await runExecutor({
      jobs,
      logger,
      ...(flags.threads === undefined ? {} : { threads: flags.threads }),
      lockDurationMs: flags.lockDuration,
      stalledIntervalMs: flags.stalledInterval,
      maxStalledCount: flags.maxStalled,
      signal: ac.signal,
    });
  } finally {
    await close();
  }
}

export function registerExecutorCommand(program: Command, logger: Logger): void {
  const cmd = program
    .command('executor [jobs...]')
    .description(
      "run tasks of jobs with executors: 'bullmq' (or run --executors bullmq) from their BullMQ queues on " +
        'KRANGE_REDIS_URL, on warm worker threads; all jobs in ./jobs when none given',
    )
    .option(
      '-t, --threads <n>',
      'worker threads per job (default: available parallelism)',
      positiveNumber('--threads'),
    )
    .option(
      '--lock-duration <ms>',
      "how long a task's lock lasts without renewal: after it, a dead executor's task is re-queued",
      positiveNumber('--lock-duration'),
      30_000,
    )
    .option(
      '--stalled-interval <ms>',
      'how often to look for stalled tasks',
      positiveNumber('--stalled-interval'),
      30_000,
    )
    .option(
      '--max-stalled <n>',
      'times a task may stall before it fails for good',
      positiveNumber('--max-stalled'),
      2,
    );
  addMetricsOptions(cmd, 9402).action((jobs: string[], flags: ExecutorFlags) =>
    executorCommand(jobs, flags, logger),
  );
}
