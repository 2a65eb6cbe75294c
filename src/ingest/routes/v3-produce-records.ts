// POST /v3/clusters/{cluster_id}/topics/{topic_name}/records: one record, or a stream of
// concatenated JSON records, each answered by its own delivery report in order (error_code 200 with
// partition and offset once Kafka acknowledged it, or the error). One record answers with that
// record's status; a stream answers 200 and the reports say per record what was stored.

import type { FastifyInstance } from 'fastify';
import type { Delivery, OutRecord } from '../batching-producer.ts';
import type { Gateway } from '../gateway.ts';
import { type DataInfo, parseV3Record } from '../record-formats.ts';
import { splitRecordStream } from '../record-stream.ts';
import { describeProblem, RestError, RestErrors } from '../rest-errors.ts';
import { bodyBytes, bodyText, errorResponse, mediaType, type PathItem, sendError } from './route-kit.ts';

export const V3_RECORDS_URL = '/v3/clusters/:cluster_id/topics/:topic_name/records';
const ACCEPTED = ['application/json'] as const;

const dataSchema = {
  type: 'object',
  nullable: true,
  properties: {
    type: { type: 'string', enum: ['BINARY', 'JSON', 'STRING'], description: 'JSON when absent' },
    data: { description: 'base64 text for BINARY, text for STRING, any JSON for JSON' },
  },
};

export const produceRecordSchema = {
  type: 'object',
  properties: {
    partition_id: { type: 'integer', minimum: 0, nullable: true },
    headers: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          value: { type: 'string', format: 'byte', nullable: true },
        },
      },
    },
    key: dataSchema,
    value: dataSchema,
    timestamp: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

const infoSchema = {
  type: 'object',
  nullable: true,
  properties: { type: { type: 'string' }, size: { type: 'integer' } },
};

export const produceResponseSchema = {
  type: 'object',
  required: ['error_code'],
  properties: {
    error_code: { type: 'integer', description: '200 when stored, else the HTTP status of the error' },
    message: { type: 'string' },
    cluster_id: { type: 'string' },
    topic_name: { type: 'string' },
    partition_id: { type: 'integer' },
    offset: { type: 'integer', format: 'int64' },
    timestamp: { type: 'string', format: 'date-time' },
    key: infoSchema,
    value: infoSchema,
  },
} as const;

export const v3ProduceRecordsPath: PathItem = {
  '/v3/clusters/{cluster_id}/topics/{topic_name}/records': {
    post: {
      operationId: 'produceRecord',
      summary: 'Produce records (one, or a stream of concatenated JSON records)',
      description:
        'Each record is answered by a delivery report, in order, once Kafka acknowledged it (acks=all). ' +
        'At-least-once: an error or a lost connection means the record may or may not be stored; retry.',
      parameters: [
        { name: 'cluster_id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'topic_name', in: 'path', required: true, schema: { type: 'string' } },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ProduceRecord' } } },
      },
      responses: {
        '200': {
          description: 'One delivery report per record (concatenated JSON for a stream)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ProduceResponse' } } },
        },
        '400': errorResponse('Malformed record (index and field named)'),
        '401': errorResponse('No or unknown token'),
        '403': errorResponse('The token may not write this topic'),
        '404': errorResponse('Unknown cluster, topic or partition'),
        '413': errorResponse('Body or record over the size limit'),
        '415': errorResponse('Content type is not application/json'),
        '422': errorResponse("The record does not fit the schema of a job with validateAt: 'ingest'"),
        '429': errorResponse('In-flight budget full or token rate exceeded; see Retry-After'),
        '500': errorResponse('Kafka did not acknowledge the record; it may or may not be stored'),
        '503': errorResponse('Shutting down'),
      },
    },
  },
};

const info = (d: DataInfo | null): string => (d === null ? 'null' : `{"type":"${d.type}","size":${d.size}}`);

type Slot =
  | { kind: 'error'; status: number; message: string }
  | { kind: 'record'; rec: OutRecord; key: DataInfo | null; value: DataInfo | null };

export function registerV3ProduceRecords(app: FastifyInstance, gw: Gateway): void {
  app.post<{ Params: { cluster_id: string; topic_name: string } }>(V3_RECORDS_URL, async (req, reply) => {
    const { cluster_id: clusterId, topic_name: topic } = req.params;
    const bytes = bodyBytes(req.body);
    gw.metrics.bytes.inc(bytes);
    try {
      const ownId = await gw.catalog.clusterId();
      if (clusterId !== ownId) throw RestErrors.clusterNotFound(clusterId);
      const principal = gw.authorize(req.headers.authorization, topic);
      const mt = mediaType(req);
      if (mt !== 'application/json') throw RestErrors.unsupportedMediaType(mt, ACCEPTED);
      const partitions = await gw.partitionCount('v3', topic);
      const items = splitRecordStream(bodyText(req.body));
      if (items.length === 0) throw RestErrors.malformed('v3', 'the body holds no record');
      const now = Date.now();
      const slots: Slot[] = items.map((item, index) => {
        if (!item.ok)
          return {
            kind: 'error',
            status: 400,
            message: `Bad Request: record ${index} (at character ${item.at}): ${item.reason}`,
          };
        const parsed = parseV3Record(item.value, index, topic, now);
        if (!parsed.ok)
          return { kind: 'error', status: parsed.problem.status, message: describeProblem(parsed.problem) };
        const problem = gw.inspect(parsed.rec, index, '', partitions);
        if (problem !== undefined)
          return { kind: 'error', status: problem.status, message: describeProblem(problem) };
        return { kind: 'record', rec: parsed.rec, key: parsed.key, value: parsed.value };
      });
      const good = slots.filter((s): s is Extract<Slot, { kind: 'record' }> => s.kind === 'record');
      const rejected = slots.length - good.length;
      if (rejected > 0) gw.metrics.records.inc({ outcome: 'rejected' }, rejected);
      const deliveries = await gw.produce(
        principal,
        good.map((s) => s.rec),
        bytes,
      );
      if (slots.length === 1) {
        const only = slots[0] as Slot;
        const failure =
          only.kind === 'error' ? only : deliveries[0]?.ok === false ? deliveries[0] : undefined;
        if (failure !== undefined) {
          const status = 'status' in failure ? failure.status : 500;
          throw new RestError(status, status, failure.message);
        }
      }
      // Reports are written as text: the int64 offset stays exact, and a stream of thousands of
      // records costs no object per report.
      const prefix = `{"error_code":200,"cluster_id":${JSON.stringify(ownId)},"topic_name":${JSON.stringify(topic)},"partition_id":`;
      const lines = new Array<string>(slots.length);
      let d = 0;
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i] as Slot;
        if (s.kind === 'error') {
          lines[i] = JSON.stringify({ error_code: s.status, message: s.message });
          continue;
        }
        const dl = deliveries[d++] as Delivery;
        lines[i] = dl.ok
          ? `${prefix}${dl.partition},"offset":${dl.offset},"timestamp":"${new Date(dl.timestamp).toISOString()}","key":${info(s.key)},"value":${info(s.value)}}`
          : JSON.stringify({ error_code: 500, message: `Kafka error: ${dl.message}` });
      }
      return reply.code(200).type('application/json').send(lines.join('\n'));
    } catch (err) {
      if (err instanceof RestError) return sendError(reply, err);
      throw err;
    }
  });
}
