// `krange reset <job>`: sets where the next iteration begins, shown as a table first and applied
// after confirmation (or --yes); refused while the job is locked.

import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { applyReset, parseResetTarget, previewReset, type ResetPreview } from '../../batch/reset-job.ts';
import { Errors } from '../../errors.ts';
import { fmtInt, table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';

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
  const plan = await applyReset(job, preview, { logger });
  process.stdout.write(
    `${job.spec.name}: reset done (iteration ${plan.iteration} committed); the next run begins as shown\n`,
  );
}

export function registerResetCommand(program: Command, logger: Logger): void {
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
}
