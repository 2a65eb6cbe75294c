// `krange schedule [jobs...]`: the daemon running each job on its cron schedule (batch/scheduler.ts),
// with /metrics holding each job's state and lag; --once runs every scheduled job once and exits.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { Errors } from '../../errors.ts';
import { refuseSharedNames } from '../../job/job-finder.ts';
import { type LoadedJob, listJobFiles, loadJob } from '../../job/job-loader.ts';
import { jobFromArg } from '../job-arg.ts';
import { addMetricsOptions, type MetricsFlags, serveMetrics } from '../metrics-option.ts';
import { wholeNumber } from '../option-values.ts';

interface ScheduleFlags extends MetricsFlags {
  once?: boolean;
  grace: number;
  /** false with --no-warm-workers. */
  warmWorkers: boolean;
}

export async function scheduleCommand(names: string[], flags: ScheduleFlags, logger: Logger): Promise<void> {
  const { runScheduler } = await import('../../batch/scheduler.ts');
  const files = names.length > 0 ? names : listJobFiles();
  const jobs = [];
  for (const f of files) jobs.push(names.length > 0 ? await jobFromArg(f) : await loadJob(f));
  refuseSharedNames(jobs);
  const scheduled = jobs.filter((j) => j.spec.schedule !== undefined);
  if (scheduled.length === 0)
    throw Errors.usage('no job has a schedule; add schedule: { cron: "..." } to a job');
  const close = flags.once ? async () => undefined : await serveJobMetrics(scheduled, flags, logger);
  try {
    await runScheduler({
      jobs: scheduled,
      logger,
      once: flags.once === true,
      graceMs: flags.grace * 1000,
      warmWorkers: flags.warmWorkers,
    });
  } finally {
    await close();
  }
}

/** /metrics of `krange schedule`: the in-process figures plus each job's state and lag. */
async function serveJobMetrics(
  jobs: LoadedJob[],
  flags: MetricsFlags,
  logger: Logger,
): Promise<() => Promise<void>> {
  if (!flags.metrics) return async () => undefined;
  const { PositionTracker } = await import('../../metrics/job-positions.ts');
  const { registerStateMetrics } = await import('../../metrics/state-metrics.ts');
  const specs = new Map(jobs.map((j) => [j.spec.name, j.spec]));
  const tracker = new PositionTracker({
    logger,
    brokersOf: (job) => specs.get(job)?.kafka.brokers,
    storeOf: (job) => specs.get(job)?.stateStore,
    topicsOf: (job) => {
      const t = specs.get(job)?.topics;
      return Array.isArray(t) ? t : undefined;
    },
  });
  const unregister = registerStateMetrics({
    jobs: () => [...specs.keys()],
    tracker,
    storeOf: (job) => specs.get(job)?.stateStore,
  });
  const close = await serveMetrics(flags, logger);
  return async () => {
    unregister();
    await close();
    await tracker.close();
  };
}

export function registerScheduleCommand(program: Command, logger: Logger): void {
  addMetricsOptions(
    program
      .command('schedule [jobs...]')
      .description('daemon: run each job on its cron schedule (all scheduled jobs in ./jobs when none given)')
      .option('--once', 'run every scheduled job once and exit (for system cron / Kubernetes CronJob)')
      .option(
        '--grace <seconds>',
        'on SIGTERM, how long running iterations may finish',
        wholeNumber('--grace'),
        30,
      )
      .option(
        '--no-warm-workers',
        "start each iteration's worker threads afresh, as krange run does (default: each job's threads, job module and sink connections stay warm between its iterations)",
      ),
    9400,
  ).action((names: string[], flags: ScheduleFlags) => scheduleCommand(names, flags, logger));
}
