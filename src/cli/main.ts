// The `krange` command line (commander). Exit codes: 0 done, 1 failed, 2 usage or config error,
// 3 the job is locked by another runner.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { produceDemo } from '../demo/produce-demo.ts';
import { Errors, type KrangeError, toKrangeError } from '../errors.ts';
import { serviceEndpoints } from '../job/endpoints.ts';
import { duplicateNameError, listJobs, refuseSharedNames, sharedNames } from '../job/job-finder.ts';
import { listJobFiles, loadJob } from '../job/job-loader.ts';
import { type ExecutorsKind, executorsSchema } from '../job/options/executors-options.ts';
import { createLogger } from '../logger.ts';
import { checkStateRoot } from '../state/state-dir.ts';
import { registerExecutorCommand } from './commands/executor.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerPushCommand } from './commands/push.ts';
import { planCommand, type RunFlags, rerunCommand, resetCommand, runCommand } from './commands/run.ts';
import { registerServeCommand } from './commands/serve.ts';
import { stateCommand } from './commands/state.ts';
import { describeFailure } from './failure.ts';
import { jobFromArg } from './job-arg.ts';
import { addMetricsOptions, type MetricsFlags, serveMetrics } from './metrics-option.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const;

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

function executorsKind(v: string): ExecutorsKind {
  const parsed = executorsSchema.safeParse(v);
  if (!parsed.success) throw new InvalidArgumentError('--executors must be threads or bullmq');
  return parsed.data;
}

export function exitCodeFor(err: KrangeError): number {
  switch (err.code) {
    case 'KRANGE_LOCKED':
      return EXIT.locked;
    case 'KRANGE_USAGE':
    case 'KRANGE_CONFIG':
    case 'KRANGE_JOB_NOT_FOUND':
    case 'KRANGE_STATE_IDENTITY':
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}

/** The installed package's version (package.json two levels up, from src/cli/ or dist/cli/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const logger = createLogger();
  const program = new Command('krange')
    .version(packageVersion(), '-V, --version', 'print the version of krange')
    .description(
      'Spark-style batch offset-range jobs for Kafka: each run reads exactly the new [begin, end) of every ' +
        'partition, writes Parquet on HDFS, MongoDB, Redis, PostgreSQL and Kafka topics, and commits offsets only after every sink succeeded.',
    )
    .showHelpAfterError()
    // Before the commands are added, so each inherits it: a usage error exits 2, not commander's 1.
    .exitOverride()
    .addHelpText(
      'after',
      '\nServices default to the local stack (make services-up); override with KRANGE_KAFKA_BROKERS, KRANGE_WEBHDFS_URL,\n' +
        'KRANGE_MONGO_URL, KRANGE_REDIS_URL, KRANGE_PG_URL. State lives in ./state (KRANGE_STATE_DIR), jobs in ./jobs\n' +
        "(KRANGE_JOBS_DIR). <job> is a job's file name in ./jobs, a path to a job module, or the name the job declares.\n" +
        '\nExit codes: 0 done, 1 failed, 2 usage or config error, 3 job locked by another runner,\n' +
        '130/143 run stopped by SIGINT/SIGTERM (nothing of the unfinished iteration committed).',
    );

  program
    .command('jobs')
    .description(
      'list the jobs in ./jobs with their topics, sinks, schedule and file; two files declaring one name are a conflict (exit 2)',
    )
    .action(async () => {
      const listed = await listJobs();
      for (const { file, job, error } of listed) {
        if (job === undefined) {
          process.stdout.write(`${basename(file).padEnd(20)} INVALID: ${error ?? 'does not load'}\n`);
          continue;
        }
        const { spec } = job;
        const topics = Array.isArray(spec.topics) ? spec.topics.join(',') : String(spec.topics);
        const sinks = spec.sinks.map((s) => s.kind).join('+');
        const sched = spec.schedule ? `  schedule '${spec.schedule.cron}'` : '';
        process.stdout.write(
          `${spec.name.padEnd(20)} topics ${topics}  sinks ${sinks}${sched}${spec.aggregate ? '  +aggregate' : ''}  (${basename(file)})\n`,
        );
      }
      const shared = sharedNames(listed);
      for (const [name, files] of shared)
        process.stdout.write(`CONFLICT: ${duplicateNameError(name, files).message}\n`);
      if (shared.size > 0) process.exitCode = EXIT.usage;
    });

  program
    .command('run <job>')
    .description(
      'run one iteration (an uncommitted plan is re-run first); <job> is a name in ./jobs or a path',
    )
    .option('--until-caught-up', 'repeat iterations until there is no lag')
    .option(
      '-w, --workers <n>',
      "worker threads (default: the job's limits.workers or available parallelism)",
      int('--workers'),
    )
    .option(
      '--executors <kind>',
      "threads (local worker threads) or bullmq (krange executor processes); overrides the job's executors",
      executorsKind,
    )
    .option(
      '--grace <seconds>',
      'on SIGTERM/SIGINT, how long the running iteration may take to finish and commit before it is aborted uncommitted',
      int('--grace'),
      0,
    )
    .option('--json', 'print the outcome as JSON')
    .action((job: string, flags: RunFlags) => runCommand(job, flags, logger));

  program
    .command('plan <job>')
    .description(
      'dry run: show the ranges and record estimates of the next iteration, and the schema (columns, types, nullability) it writes; changes nothing',
    )
    .option('--json', 'print the plan as JSON')
    .action((job: string, flags: { json?: boolean }) => planCommand(job, flags, logger));

  program
    .command('state <job>')
    .description(
      "show the iterations in the job's state directory (committed, running, aborted, killed, failed, pending), with bad records and the rows each sink refused",
    )
    .option('--json', 'print as JSON')
    .option(
      '--rebind',
      'bind the state directory to the job as it is now (its topics and sinks), after a deliberate change',
    )
    .action((job: string, flags: { json?: boolean; rebind?: boolean }) => stateCommand(job, flags));

  program
    .command('rerun <job>')
    .description(
      're-process the saved plan of an iteration idempotently (the committed position does not move)',
    )
    .requiredOption('-i, --iteration <n>', 'iteration number (see krange state)', int('--iteration'))
    .option('-w, --workers <n>', 'worker threads', int('--workers'))
    .option(
      '--executors <kind>',
      "threads (local worker threads) or bullmq (krange executor processes); overrides the job's executors",
      executorsKind,
    )
    .option('--json', 'print the outcome as JSON')
    .action((job: string, flags: RunFlags & { iteration: number }) =>
      rerunCommand(job, flags.iteration, flags, logger),
    );

  program
    .command('reset <job>')
    .description('set where the next iteration begins (refused while the job is locked)')
    .option(
      '--to <target>',
      'earliest | latest | JSON like \'{"topic":{"0":23,"1":-2}}\' (-2 earliest, -1 latest)',
    )
    .option(
      '--to-datetime <iso>',
      'the first offsets at or after this ISO date-time with its zone (2026-01-31T08:00:00Z)',
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .action((job: string, flags: { to?: string; toDatetime?: string; yes?: boolean }) =>
      resetCommand(job, flags, logger),
    );

  program
    .command('produce-demo')
    .description('produce deterministic demo click events to a topic (created with --partitions if missing)')
    .option('-n, --records <n>', 'number of events', int('--records'), 10_000)
    .option('-t, --topic <topic>', 'topic', 'clickstream')
    .option('-p, --partitions <n>', 'partitions when creating the topic', int('--partitions'), 8)
    .option('--if-empty', 'produce only when the topic holds no records')
    .action(async (flags: { records: number; topic: string; partitions: number; ifEmpty?: boolean }) => {
      const r = await produceDemo({
        brokers: serviceEndpoints().kafkaBrokers,
        topic: flags.topic,
        records: flags.records,
        partitions: flags.partitions,
        ifEmpty: flags.ifEmpty === true,
        logger,
      });
      process.stdout.write(
        r.produced === 0
          ? `${r.topic}: already holds ${r.firstEvent} records; nothing produced\n`
          : `${r.topic}: produced ${r.produced} events (from event ${r.firstEvent}) in ${r.seconds.toFixed(1)} s\n`,
      );
    });

  addMetricsOptions(
    program
      .command('schedule [jobs...]')
      .description('daemon: run each job on its cron schedule (all scheduled jobs in ./jobs when none given)')
      .option('--once', 'run every scheduled job once and exit (for system cron / Kubernetes CronJob)')
      .option('--grace <seconds>', 'on SIGTERM, how long running iterations may finish', int('--grace'), 30),
    9400,
  ).action(async (names: string[], flags: { once?: boolean; grace: number } & MetricsFlags) => {
    const { runScheduler } = await import('../batch/scheduler.ts');
    const files = names.length > 0 ? names : listJobFiles();
    const jobs = [];
    for (const f of files) jobs.push(names.length > 0 ? await jobFromArg(f) : await loadJob(f));
    refuseSharedNames(jobs);
    const scheduled = jobs.filter((j) => j.spec.schedule !== undefined);
    if (scheduled.length === 0)
      throw Errors.usage('no job has a schedule; add schedule: { cron: "..." } to a job');
    const close = flags.once ? async () => undefined : await serveJobMetrics(scheduled, flags, logger);
    try {
      await runScheduler({ jobs: scheduled, logger, once: flags.once === true, graceMs: flags.grace * 1000 });
    } finally {
      await close();
    }
  });

  addMetricsOptions(
    program
      .command('aggregate <job>')
      .description("stream the job's topics into windowed aggregates in PostgreSQL, exactly once")
      .option('--status', 'print stored offsets against Kafka high watermarks and exit'),
    9401,
  ).action(async (name: string, flags: { status?: boolean } & MetricsFlags) => {
    const { aggregateCommand } = await import('./commands/aggregate.ts');
    const close = flags.status ? async () => undefined : await serveMetrics(flags, logger);
    try {
      await aggregateCommand(name, flags, logger);
    } finally {
      await close();
    }
  });

  registerExecutorCommand(program, logger);
  // Commands that keep state check its directory first (reads need it to be a directory, writes writable).
  program.hook('preAction', (_program, command) => {
    const name = command.name();
    if (['run', 'rerun', 'reset', 'schedule', 'plan', 'state'].includes(name))
      checkStateRoot({
        write: name !== 'plan' && (name !== 'state' || command.opts()['rebind'] === true),
      });
  });

  registerIngestCommand(program, logger);
  registerPushCommand(program, logger);
  registerServeCommand(program, logger);

  return program;
}

/** /metrics of `krange schedule`: the in-process figures plus each job's state and lag. */
async function serveJobMetrics(
  jobs: Awaited<ReturnType<typeof loadJob>>[],
  flags: MetricsFlags,
  logger: ReturnType<typeof createLogger>,
): Promise<() => Promise<void>> {
  if (!flags.metrics) return async () => undefined;
  const { PositionTracker } = await import('../metrics/job-positions.ts');
  const { registerStateMetrics } = await import('../metrics/state-metrics.ts');
  const specs = new Map(jobs.map((j) => [j.spec.name, j.spec]));
  const tracker = new PositionTracker({
    logger,
    brokersOf: (job) => specs.get(job)?.kafka.brokers,
    topicsOf: (job) => {
      const t = specs.get(job)?.topics;
      return Array.isArray(t) ? t : undefined;
    },
  });
  const unregister = registerStateMetrics({ jobs: () => [...specs.keys()], tracker });
  const close = await serveMetrics(flags, logger);
  return async () => {
    unregister();
    await close();
    await tracker.close();
  };
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    const e = toKrangeError(err);
    process.stderr.write(`${describeFailure(e, process.env['KRANGE_LOG_LEVEL'] === 'debug')}\n`);
    process.exitCode = exitCodeFor(e);
  } finally {
    // bin/ exits as soon as main returns; a pipe takes large outputs (state --json) in several
    // writes, so wait until everything written has been handed over.
    await Promise.all(
      [process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))),
    );
  }
}
