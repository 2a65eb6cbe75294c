// `krange serve`: the web console (fastify). Pages and a JSON API over the state directories,
// Kafka's log ends and the aggregate tables, /metrics for every job it knows, and token-guarded
// actions. Every answer carries CSP and no-sniff headers; errors answer {error_code, message}.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isKrangeError } from '../errors.ts';
import { PositionTracker } from '../metrics/job-positions.ts';
import { metricsRoute } from '../metrics/metrics-server.ts';
import { enableProcessMetrics } from '../metrics/registry.ts';
import { registerStateMetrics } from '../metrics/state-metrics.ts';
import { defaultStateLocation } from '../state/state-location.ts';
import { type ConsoleContext, sendError } from './console-context.ts';
import { JobCatalog } from './job-catalog.ts';
import { actionsApi } from './routes/actions-api.ts';
import { aggregatesApi } from './routes/aggregates-api.ts';
import { fileApi } from './routes/file-api.ts';
import { jobApi } from './routes/job-api.ts';
import { jobsApi } from './routes/jobs-api.ts';
import { pages } from './routes/pages.ts';
import { checkBind, SECURITY_HEADERS } from './security.ts';

export interface ConsoleOptions {
  host: string;
  port: number;
  logger: Logger;
  token?: string | undefined;
  stateRoot?: string;
}

export interface RunningConsole {
  url: string;
  app: FastifyInstance;
  close: () => Promise<void>;
}

export function buildConsole(o: ConsoleOptions): {
  app: FastifyInstance;
  ctx: ConsoleContext;
  dispose: () => Promise<void>;
} {
  const root = o.stateRoot ?? defaultStateLocation();
  const catalog = new JobCatalog(root, o.logger);
  const tracker = new PositionTracker({
    stateRoot: root,
    logger: o.logger,
    brokersOf: (job) => catalog.spec(job)?.kafka.brokers,
    storeOf: (job) => catalog.spec(job)?.stateStore,
    topicsOf: (job) => {
      const t = catalog.spec(job)?.topics;
      return Array.isArray(t) ? t : undefined;
    },
  });
  const ctx: ConsoleContext = { catalog, tracker, stateRoot: root, token: o.token, logger: o.logger };
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });
  app.setErrorHandler((err, _req, reply) => {
    if (isKrangeError(err)) {
      const code =
        err.code === 'KRANGE_JOB_NOT_FOUND'
          ? 404
          : err.code === 'KRANGE_USAGE'
            ? 400
            : err.code === 'KRANGE_LOCKED'
              ? 409
              : 502;
      return sendError(reply, code, err.message);
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return sendError(reply, status, (err as Error).message);
    o.logger.error({ err }, 'console request failed');
    return sendError(reply, 500, (err as Error).message);
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 404, 'not found'));
  enableProcessMetrics();
  const unregister = registerStateMetrics({
    jobs: () => catalog.entries().map((e) => e.name),
    tracker,
    stateRoot: root,
    storeOf: (job) => catalog.spec(job)?.stateStore,
  });
  pages(app);
  jobsApi(app, ctx);
  jobApi(app, ctx);
  fileApi(app, ctx);
  aggregatesApi(app, ctx);
  actionsApi(app, ctx);
  metricsRoute(app);
  return {
    app,
    ctx,
    dispose: async () => {
      unregister();
      await tracker.close();
    },
  };
}

export async function startConsole(o: ConsoleOptions): Promise<RunningConsole> {
  checkBind(o.host, o.token);
  const { app, ctx, dispose } = buildConsole(o);
  await ctx.catalog.refresh(0);
  const address = await app.listen({ host: o.host, port: o.port });
  return {
    url: address,
    app,
    close: async () => {
      await app.close();
      await dispose();
    },
  };
}
