// /metrics for the long-running commands that have no console (`krange schedule`, `krange
// aggregate`): a small fastify server, on 127.0.0.1 unless told otherwise. A port already taken is
// logged and the command runs on without metrics: monitoring must never stop the work.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { LogEvents } from '../log-events.ts';
import { contentType, enableProcessMetrics, scrape } from './registry.ts';

export interface MetricsServerOptions {
  host: string;
  port: number;
  logger: Logger;
}

/** Adds GET /metrics (Prometheus text format) to a fastify app. */
export function metricsRoute(app: FastifyInstance): void {
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', contentType);
    return scrape();
  });
}

/** Starts the server; resolves to its URL, or undefined when it could not listen. */
export async function startMetricsServer(
  o: MetricsServerOptions,
): Promise<{ url: string; close: () => Promise<void> } | undefined> {
  enableProcessMetrics();
  const app = Fastify({ logger: false });
  metricsRoute(app);
  try {
    const address = await app.listen({ host: o.host, port: o.port });
    const url = `${address}/metrics`;
    o.logger.info({ event: LogEvents.metricsListening, url }, `metrics at ${url}`);
    return { url, close: () => app.close() };
  } catch (err) {
    o.logger.warn(
      { host: o.host, port: o.port, err: (err as Error).message },
      'cannot serve /metrics (use --metrics-port to pick another port); running without',
    );
    await app.close().catch(() => undefined);
    return undefined;
  }
}
