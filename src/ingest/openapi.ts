// The gateway's OpenAPI 3.0 document, assembled from the fragments each route file declares beside
// its handler. Served at /openapi.json and committed as docs/ingest-openapi.json (a test keeps the
// two equal; regenerate with `krange ingest --print-openapi > docs/ingest-openapi.json`).

import { metricsPath } from './routes/metrics-route.ts';
import { errorBodySchema } from './routes/route-kit.ts';
import { v2ProducePath, v2ProduceRequestSchema, v2ProduceResponseSchema } from './routes/v2-produce.ts';
import { clusterSchema, v3ClustersPaths } from './routes/v3-clusters.ts';
import {
  produceRecordSchema,
  produceResponseSchema,
  v3ProduceRecordsPath,
} from './routes/v3-produce-records.ts';

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'krange ingest gateway',
      version: '1',
      description:
        'Produce to Kafka over HTTP, compatible with the Confluent REST Proxy produce APIs (v3 records, v2 topics). ' +
        'A record is acknowledged only after Kafka acknowledged it (acks=all, idempotent producer): at-least-once.',
    },
    paths: {
      ...v3ClustersPaths,
      ...v3ProduceRecordsPath,
      ...v2ProducePath,
      ...metricsPath,
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: {
            '200': {
              description: 'OpenAPI 3.0',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Error: errorBodySchema,
        Cluster: clusterSchema,
        ProduceRecord: produceRecordSchema,
        ProduceResponse: produceResponseSchema,
        V2ProduceRequest: v2ProduceRequestSchema,
        V2ProduceResponse: v2ProduceResponseSchema,
      },
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
    },
    security: [{}, { token: [] }],
  };
}
