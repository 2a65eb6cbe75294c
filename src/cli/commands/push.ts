// `krange push`: the sending agent. Follows NDJSON files (or stdin) and sends their lines to an
// ingest gateway / REST Proxy (v3 or v2) or straight to Kafka, retrying with backoff and
// checkpointing how far each file was acknowledged.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { Errors } from '../../errors.ts';
import { serviceEndpoints } from '../../job/endpoints.ts';
import { positiveNumber } from '../option-values.ts';

interface PushFlags {
  topic: string;
  gateway?: string;
  api: 'v3' | 'v2';
  kafka?: boolean;
  brokers?: string;
  checkpoint: string;
  rejects?: string;
  batchRecords: number;
  batchBytes: number;
  untilEof?: boolean;
  pollMs: number;
  keyField?: string;
  timeoutMs: number;
}

export function registerPushCommand(program: Command, logger: Logger): void {
  program
    .command('push <inputs...>')
    .description(
      "send NDJSON lines from files (followed across logrotate's renames) or '-' (stdin) to an ingest gateway " +
        'or straight to Kafka, with batching, retries (backoff + jitter on 429/5xx/network errors) and a checkpoint',
    )
    .requiredOption('-t, --topic <topic>', 'Kafka topic')
    .option('-g, --gateway <url>', 'gateway / REST Proxy base URL, e.g. http://127.0.0.1:8082')
    .option('--api <v3|v2>', 'REST Proxy API version to use with --gateway', 'v3')
    .option('--kafka', 'send straight to Kafka instead of a gateway (KRANGE_KAFKA_BROKERS or --brokers)')
    .option('--brokers <list>', 'Kafka brokers for --kafka, comma separated')
    .option(
      '--checkpoint <file>',
      'checkpoint file: how far each file was acknowledged',
      'krange-push.checkpoint.json',
    )
    .option('--rejects <file>', 'where refused lines go (default <checkpoint>.rejected.ndjson)')
    .option('--batch-records <n>', 'lines per request', positiveNumber('--batch-records'), 500)
    .option('--batch-bytes <n>', 'bytes per request', positiveNumber('--batch-bytes'), 512 * 1024)
    .option('--until-eof', 'exit once every input is read to its end and acknowledged (default: follow)')
    .option('--poll-ms <n>', 'how often to look for new lines', positiveNumber('--poll-ms'), 250)
    .option('--key-field <field>', "a JSON field of each line to use as the record's key")
    .option('--timeout-ms <n>', 'request timeout', positiveNumber('--timeout-ms'), 60_000)
    .addHelpText(
      'after',
      '\nThe gateway token comes from KRANGE_PUSH_TOKEN (never a flag, so it stays out of process lists).',
    )
    .action(async (inputs: string[], flags: PushFlags) => {
      if ((flags.gateway === undefined) === (flags.kafka !== true))
        throw Errors.usage('give exactly one destination: --gateway <url> or --kafka');
      if (flags.api !== 'v3' && flags.api !== 'v2') throw Errors.usage('--api must be v3 or v2');
      const { runPush } = await import('../../push/push-agent.ts');
      let sender: import('../../push/sender.ts').Sender;
      if (flags.gateway !== undefined) {
        const { GatewaySender } = await import('../../push/gateway-sender.ts');
        sender = new GatewaySender({
          url: flags.gateway.replace(/\/+$/, ''),
          topic: flags.topic,
          api: flags.api,
          token: process.env['KRANGE_PUSH_TOKEN'],
          timeoutMs: flags.timeoutMs,
        });
      } else {
        const { KafkaSender } = await import('../../push/kafka-sender.ts');
        sender = new KafkaSender(
          flags.topic,
          flags.brokers?.split(',') ?? serviceEndpoints().kafkaBrokers,
          logger,
        );
      }
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) process.exit(1);
        logger.info('stopping after the batch in flight (again to exit now)');
        abort.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      const s = await runPush({
        inputs,
        sender,
        checkpointPath: flags.checkpoint,
        rejectsPath: flags.rejects,
        batchRecords: flags.batchRecords,
        batchBytes: flags.batchBytes,
        untilEof: flags.untilEof === true,
        pollMs: flags.pollMs,
        keyField: flags.keyField,
        logger,
        signal: abort.signal,
      });
      process.stdout.write(
        `push: ${s.sent} lines stored, ${s.rejected} rejected, ${s.retries} retries in ${s.seconds.toFixed(1)} s\n`,
      );
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
}
