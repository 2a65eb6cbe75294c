// GET /v3/clusters and /v3/clusters/{cluster_id}: the one cluster behind the gateway, in the REST
// Proxy's resource shape, so clients can discover the cluster id the produce route needs.

import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.ts';
import { RestError, RestErrors } from '../rest-errors.ts';
import { errorResponse, type PathItem, sendError } from './route-kit.ts';

export const clusterSchema = {
  type: 'object',
  required: ['kind', 'cluster_id'],
  properties: {
    kind: { type: 'string', enum: ['KafkaCluster'] },
    metadata: { type: 'object', properties: { self: { type: 'string' }, resource_name: { type: 'string' } } },
    cluster_id: { type: 'string' },
    topics: { type: 'object', properties: { related: { type: 'string' } } },
  },
} as const;

export const v3ClustersPaths: PathItem = {
  '/v3/clusters': {
    get: {
      operationId: 'listKafkaClusters',
      summary: 'The Kafka cluster behind the gateway',
      responses: {
        '200': {
          description: 'A list holding the one cluster',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['kind', 'data'],
                properties: {
                  kind: { type: 'string', enum: ['KafkaClusterList'] },
                  metadata: { type: 'object', properties: { self: { type: 'string' } } },
                  data: { type: 'array', items: { $ref: '#/components/schemas/Cluster' } },
                },
              },
            },
          },
        },
      },
    },
  },
  '/v3/clusters/{cluster_id}': {
    get: {
      operationId: 'getKafkaCluster',
      summary: 'The cluster, if the id is its id',
      parameters: [{ name: 'cluster_id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The cluster',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Cluster' } } },
        },
        '404': errorResponse('Another cluster id'),
      },
    },
  },
};

function baseUrl(req: { protocol: string; host: string }): string {
  return `${req.protocol}://${req.host}`;
}

function cluster(base: string, id: string) {
  return {
    kind: 'KafkaCluster',
    metadata: { self: `${base}/v3/clusters/${id}`, resource_name: `crn:///kafka=${id}` },
    cluster_id: id,
    topics: { related: `${base}/v3/clusters/${id}/topics` },
  };
}

export function registerV3Clusters(app: FastifyInstance, gw: Gateway): void {
  app.get('/v3/clusters', async (req, reply) => {
    const id = await gw.catalog.clusterId();
    const base = baseUrl(req);
    return reply.type('application/json').send({
      kind: 'KafkaClusterList',
      metadata: { self: `${base}/v3/clusters`, next: null },
      data: [cluster(base, id)],
    });
  });
  app.get<{ Params: { cluster_id: string } }>('/v3/clusters/:cluster_id', async (req, reply) => {
    try {
      const id = await gw.catalog.clusterId();
      if (req.params.cluster_id !== id) throw RestErrors.clusterNotFound(req.params.cluster_id);
      return reply.type('application/json').send(cluster(baseUrl(req), id));
    } catch (err) {
      if (err instanceof RestError) return sendError(reply, err);
      throw err;
    }
  });
}
