// `krange ingest`: the fastify server in front of the Gateway. Every request body is taken raw (up
// to maxRequestBytes) so each route checks its own content type and answers in the REST Proxy's
// error shape; fastify's own errors (body too large, headers...) are mapped to that shape too.
// SIGTERM/SIGINT stop accepting, drain in-flight batches to Kafka, answer, then exit.

import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import kafkajs, { Partitioners } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import { createKafka } from '../kafka/kafka-client.ts';
import { LogEvents } from '../log-events.ts';
import { type CompressionName, compressionTypes } from './batching-producer.ts';
import { Gateway } from './gateway.ts';
import type { IngestConfig } from './ingest-config.ts';
import { type IngestSchemas, loadIngestSchemas } from './ingest-schemas.ts';
import { openApiDocument } from './openapi.ts';
import { RestErrors } from './rest-errors.ts';
import { registerMetrics } from './routes/metrics-route.ts';
import { sendError } from './routes/route-kit.ts';
import { registerV2Produce } from './routes/v2-produce.ts';
import { registerV3Clusters } from './routes/v3-clusters.ts';
import { registerV3ProduceRecords } from './routes/v3-produce-records.ts';

/** kafkajs has gzip built in; createKafka registers snappy, lz4 and zstd (src/kafka/compression.ts). */
function requireCodec(name: CompressionName): void {
  if (name === 'none' || name === 'gzip') return;
  const codecs = kafkajs.CompressionCodecs as Record<number, unknown>;
  if (codecs[compressionTypes[name]] === undefined)
    throw Errors.config(
      `compression '${name}' has no codec registered in kafkajs; use gzip or none, or register one`,
    );
}

export function buildApp(gw: Gateway, logger: Logger): FastifyInstance {
  const cfg = gw.config;
  const app = Fastify({
    logger: false,
    bodyLimit: cfg.maxRequestBytes,
    http: { maxHeaderSize: cfg.maxHeaderBytes },
    requestTimeout: 120_000,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    gw.metrics.requests.inc({ route, status: String(reply.statusCode) });
    if (req.method === 'POST') gw.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, RestErrors.bodyTooLarge(cfg.maxRequestBytes));
    const status = err.statusCode ?? 500;
    if (status < 500)
      return reply.code(status).type('application/json').send({ error_code: status, message: err.message });
    logger.error({ err: err.message, route: _req.routeOptions.url }, 'request failed');
    return sendError(reply, RestErrors.internal());
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, RestErrors.notFound(req.url.split('?')[0] ?? '')));
  registerV3Clusters(app, gw);
  registerV3ProduceRecords(app, gw);
  registerV2Produce(app, gw);
  registerMetrics(app);
  const doc = JSON.stringify(openApiDocument(), null, 2);
  app.get('/openapi.json', async (_req, reply) => reply.type('application/json').send(doc));
  return app;
}

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  app: FastifyInstance;
  /** Stops accepting, drains in-flight batches, closes Kafka clients. */
  stop(): Promise<void>;
}

export async function startGateway(
  cfg: IngestConfig & { brokers: string[] },
  logger: Logger,
  schemas?: IngestSchemas,
): Promise<RunningGateway> {
  const kafka = createKafka({ brokers: cfg.brokers, clientId: 'krange-ingest', logger });
  requireCodec(cfg.compression);
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // The idempotent producer's sequence numbers stay valid only with unlimited retries; a request
    // still gets its answer after produceTimeoutMs.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
  });
  await Promise.all([admin.connect(), producer.connect()]);
  const gw = new Gateway(
    cfg,
    admin,
    producer,
    schemas ?? (await loadIngestSchemas(cfg.jobs, logger)),
    logger,
  );
  await gw.catalog.clusterId();
  const app = buildApp(gw, logger);
  const closing = { value: false };
  app.addHook('onSend', async (_req, reply) => {
    if (closing.value) reply.header('connection', 'close');
  });
  await app.listen({ host: cfg.host, port: cfg.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : cfg.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const url = `http://${host}:${port}`;
  logger.info(
    { event: LogEvents.ingestListening, url, tokens: cfg.tokens.length },
    `ingest gateway listening on ${url}`,
  );
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info({ event: LogEvents.ingestStopping }, 'draining in-flight batches');
      // Close the listener (new connections refused, 503 on kept-alive ones); close() resolves when
      // the requests already accepted have reached Kafka and been answered. Then send anything left.
      // Kept-alive connections would hold close() open after their last answer: answers now carry
      // `Connection: close`, and connections that went idle are closed as they appear.
      closing.value = true;
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await gw.close();
      await admin.disconnect();
      logger.info({ event: LogEvents.ingestStopped }, 'ingest gateway stopped');
    })();
    return stopping;
  };
  return { url, gateway: gw, app, stop };
}
