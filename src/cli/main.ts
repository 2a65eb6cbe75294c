// The `krange` command line (commander): the program with its version, help and exit codes; each
// command lives in commands/<command>.ts and is registered here, in the order --help lists them.
// Exit codes: 0 done, 1 failed, 2 usage or config error, 3 the job is locked by another runner.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { toKrangeError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { checkStateRoot } from '../state/state-dir.ts';
import { registerAggregateCommand } from './commands/aggregate.ts';
import { registerExecutorCommand } from './commands/executor.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerJobsCommand } from './commands/jobs.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerProduceDemoCommand } from './commands/produce-demo.ts';
import { registerPushCommand } from './commands/push.ts';
import { registerRerunCommand } from './commands/rerun.ts';
import { registerResetCommand } from './commands/reset.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerScheduleCommand } from './commands/schedule.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerStateCommand } from './commands/state.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { describeFailure } from './failure.ts';
import type { RegisterCommand } from './register-command.ts';

const COMMANDS: RegisterCommand[] = [
  registerJobsCommand,
  registerRunCommand,
  registerPlanCommand,
  registerStateCommand,
  registerRerunCommand,
  registerResetCommand,
  registerProduceDemoCommand,
  registerScheduleCommand,
  registerAggregateCommand,
  registerExecutorCommand,
  registerIngestCommand,
  registerPushCommand,
  registerServeCommand,
];

/** Commands that keep state check its directory first (reads need it to be a directory, writes writable). */
const STATEFUL = ['run', 'rerun', 'reset', 'schedule', 'plan', 'state'];

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
        'KRANGE_MONGO_URL, KRANGE_REDIS_URL, KRANGE_PG_URL. State lives in ./state (KRANGE_STATE_DIR), or in the store\n' +
        "KRANGE_STATE_URL or a job's stateStore names; jobs in ./jobs (KRANGE_JOBS_DIR). <job> is a job's file name in\n" +
        './jobs, a path to a job module, or the name the job declares.\n' +
        '\nExit codes: 0 done, 1 failed, 2 usage or config error, 3 job locked by another runner,\n' +
        '130/143 run stopped by SIGINT/SIGTERM (nothing of the unfinished iteration committed).',
    );

  for (const register of COMMANDS) register(program, logger);
  program.hook('preAction', (_program, command) => {
    const name = command.name();
    if (STATEFUL.includes(name))
      checkStateRoot({
        write: name !== 'plan' && (name !== 'state' || command.opts()['rebind'] === true),
      });
  });

  return program;
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
