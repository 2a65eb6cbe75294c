// `krange jobs`: the jobs in ./jobs with their topics, sinks and schedule; two files declaring one
// name are listed as a conflict (exit 2).

import { basename } from 'node:path';
import type { Command } from 'commander';
import { duplicateNameError, listJobs, sharedNames } from '../../job/job-finder.ts';
import { EXIT } from '../exit-codes.ts';

export async function jobsCommand(): Promise<void> {
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
}

export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description(
      'list the jobs in ./jobs with their topics, sinks, schedule and file; two files declaring one name are a conflict (exit 2)',
    )
    .action(() => jobsCommand());
}
