// `krange aggregate <job> [--status]`: runs the aggregator until SIGTERM/SIGINT (then flushes and
// leaves the group), or prints the per-partition status table.

import type { Logger } from 'pino';
import { runAggregator } from '../../aggregator/aggregator.ts';
import { aggregatorStatus } from '../../aggregator/status.ts';
import { table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';

export async function aggregateCommand(
  jobName: string,
  flags: { status?: boolean },
  logger: Logger,
): Promise<void> {
  const job = await jobFromArg(jobName);
  if (flags.status) {
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
