// `krange ingest`: runs the HTTP ingest gateway (REST Proxy compatible) until SIGTERM/SIGINT, then
// drains in-flight batches to Kafka within the grace period.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type IngestConfigInput, resolveIngestConfig } from '../../ingest/ingest-config.ts';
import { serviceEndpoints } from '../../job/endpoints.ts';
import { wholeNumber } from '../option-values.ts';

interface IngestFlags {
  config?: string;
  host?: string;
  port?: number;
  brokers?: string;
  clusterId?: string;
  maxRecordBytes?: number;
  maxRequestBytes?: number;
  lingerMs?: number;
  batchMaxBytes?: number;
  compression?: IngestConfigInput['compression'];
  inFlightBytes?: number;
  produceTimeoutMs?: number;
  shutdownGraceMs?: number;
  job?: string[];
  printOpenapi?: boolean;
}

export function registerIngestCommand(program: Command, logger: Logger): void {
  program
    .command('ingest')
    .description(
      'HTTP gateway producing to Kafka, compatible with the Confluent REST Proxy produce APIs ' +
        '(POST /v3/clusters/{id}/topics/{topic}/records, POST /topics/{topic}); answers after Kafka acknowledged (acks=all)',
    )
    .option(
      '-c, --config <file>',
      'JSON config file (keys as in src/ingest/ingest-config.ts; tokens there or in KRANGE_INGEST_TOKENS)',
    )
    .option('--host <addr>', 'address to bind (default 127.0.0.1; others need tokens)')
    .option('-p, --port <n>', 'port (default 8082; 0 for any free port)', wholeNumber('--port'))
    .option('--brokers <list>', 'Kafka brokers, comma separated (default KRANGE_KAFKA_BROKERS)')
    .option('--cluster-id <id>', "cluster id for the v3 routes (default: the Kafka cluster's)")
    .option(
      '--max-record-bytes <n>',
      'largest record; larger get 413 (default 1 MiB)',
      wholeNumber('--max-record-bytes'),
    )
    .option(
      '--max-request-bytes <n>',
      'largest request body; larger get 413 (default 16 MiB)',
      wholeNumber('--max-request-bytes'),
    )
    .option(
      '--linger-ms <n>',
      'how long records wait to share a produce call (default 2)',
      wholeNumber('--linger-ms'),
    )
    .option(
      '--batch-max-bytes <n>',
      'bytes per produce call (default 768 KiB)',
      wholeNumber('--batch-max-bytes'),
    )
    .option(
      '--compression <codec>',
      'codec of produced batches: none | gzip | snappy | lz4 | zstd (default none)',
    )
    .option(
      '--in-flight-bytes <n>',
      'unanswered request bytes before 429 (default 64 MiB)',
      wholeNumber('--in-flight-bytes'),
    )
    .option(
      '--produce-timeout-ms <n>',
      'answer 500 if Kafka has not acknowledged by then (default 30000)',
      wholeNumber('--produce-timeout-ms'),
    )
    .option(
      '--shutdown-grace-ms <n>',
      'on SIGTERM, time to drain in-flight batches (default 30000)',
      wholeNumber('--shutdown-grace-ms'),
    )
    .option(
      '--job <path...>',
      "jobs whose validateAt: 'ingest' schemas check records (default: every job in ./jobs)",
    )
    .option('--print-openapi', 'print the OpenAPI document and exit')
    .addHelpText(
      'after',
      '\nTokens: KRANGE_INGEST_TOKENS="name:token=topic1,prefix-*;other:token2=*" or "tokens" in the config file.\n' +
        'Without tokens the gateway is open and binds loopback only. GET /metrics, GET /openapi.json.',
    )
    .action(async (flags: IngestFlags) => {
      if (flags.printOpenapi) {
        const { openApiDocument } = await import('../../ingest/openapi.ts');
        process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
        return;
      }
      const cfg = resolveIngestConfig(
        {
          host: flags.host,
          port: flags.port,
          brokers: flags.brokers?.split(',').map((b) => b.trim()),
          clusterId: flags.clusterId,
          maxRecordBytes: flags.maxRecordBytes,
          maxRequestBytes: flags.maxRequestBytes,
          lingerMs: flags.lingerMs,
          batchMaxBytes: flags.batchMaxBytes,
          compression: flags.compression,
          inFlightBytes: flags.inFlightBytes,
          produceTimeoutMs: flags.produceTimeoutMs,
          shutdownGraceMs: flags.shutdownGraceMs,
          jobs: flags.job,
        },
        { configFile: flags.config },
      );
      const { startGateway } = await import('../../ingest/server.ts');
      const running = await startGateway(
        { ...cfg, brokers: cfg.brokers ?? serviceEndpoints().kafkaBrokers },
        logger,
      );
      process.stdout.write(`krange ingest listening on ${running.url}\n`);
      await new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          logger.info({ signal: sig }, 'stopping the ingest gateway');
          const force = setTimeout(() => {
            logger.error(
              { graceMs: cfg.shutdownGraceMs },
              'in-flight batches did not drain in time; exiting',
            );
            process.exit(1);
          }, cfg.shutdownGraceMs);
          force.unref();
          void running.stop().then(resolve, (err: unknown) => {
            logger.error({ err: (err as Error).message }, 'ingest gateway stop failed');
            resolve();
          });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
