// GET /metrics: the process's shared prom-client registry in the Prometheus text format.

import type { FastifyInstance } from 'fastify';
import { registry } from '../../metrics/registry.ts';
import type { PathItem } from './route-kit.ts';

export const metricsPath: PathItem = {
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (requests, records, bytes, latency, 429s, produce errors)',
      responses: {
        '200': {
          description: 'Prometheus text format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
};

export function registerMetrics(app: FastifyInstance): void {
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
