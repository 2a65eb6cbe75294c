// `krange aggregate <job> [--status]`: runs the aggregator until SIGTERM/SIGINT (then flushes and
// leaves the group), or prints the per-partition status table. The aggregator is imported when the
// command runs, so the other commands (and --help) do not load it.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';
import { addMetricsOptions, type MetricsFlags, serveMetrics } from '../metrics-option.ts';

export async function aggregateCommand(
  jobName: string,
  flags: { status?: boolean },
  logger: Logger,
): Promise<void> {
  const job = await jobFromArg(jobName);
  if (flags.status) {
    const { aggregatorStatus } = await import('../../aggregator/status.ts');
    const rows = await aggregatorStatus(job);
    process.stdout.write(
      `${table(
        [
          'topic',
          'partition',
          'stored offset',
          'high watermark',
          'lag',
          'max event time',
          'records',
          'late',
          'bad',
          'updated',
        ],
        rows.map((r) => [
          r.topic,
          String(r.partition),
          r.nextOffset ?? '-',
          r.highWatermark ?? '-',
          r.lag ?? '-',
          r.maxEventTime ?? '-',
          r.records,
          r.lateEvents,
          r.badRecords,
          r.updatedAt ?? '-',
        ]),
      )}\n`,
    );
    return;
  }
  const { runAggregator } = await import('../../aggregator/aggregator.ts');
  const ac = new AbortController();
  const stop = (sig: string) => {
    logger.info({ signal: sig }, 'stopping aggregator: flushing and leaving the group');
    ac.abort();
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  try {
    await runAggregator({ job, logger, signal: ac.signal });
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}

export function registerAggregateCommand(program: Command, logger: Logger): void {
  addMetricsOptions(
    program
      .command('aggregate <job>')
      .description("stream the job's topics into windowed aggregates in PostgreSQL, exactly once")
      .option('--status', 'print stored offsets against Kafka high watermarks and exit'),
    9401,
  ).action(async (name: string, flags: { status?: boolean } & MetricsFlags) => {
    const close = flags.status ? async () => undefined : await serveMetrics(flags, logger);
    try {
      await aggregateCommand(name, flags, logger);
    } finally {
      await close();
    }
  });
}
