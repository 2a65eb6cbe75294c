// `krange produce-demo`: deterministic demo click events (demo/produce-demo.ts) to a topic, created
// with --partitions when missing; --if-empty makes `make run-job` seed only once.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { produceDemo } from '../../demo/produce-demo.ts';
import { serviceEndpoints } from '../../job/endpoints.ts';
import { wholeNumber } from '../option-values.ts';

interface ProduceDemoFlags {
  records: number;
  topic: string;
  partitions: number;
  ifEmpty?: boolean;
}

export async function produceDemoCommand(flags: ProduceDemoFlags, logger: Logger): Promise<void> {
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
}

export function registerProduceDemoCommand(program: Command, logger: Logger): void {
  program
    .command('produce-demo')
    .description('produce deterministic demo click events to a topic (created with --partitions if missing)')
    .option('-n, --records <n>', 'number of events', wholeNumber('--records'), 10_000)
    .option('-t, --topic <topic>', 'topic', 'clickstream')
    .option('-p, --partitions <n>', 'partitions when creating the topic', wholeNumber('--partitions'), 8)
    .option('--if-empty', 'produce only when the topic holds no records')
    .action((flags: ProduceDemoFlags) => produceDemoCommand(flags, logger));
}
