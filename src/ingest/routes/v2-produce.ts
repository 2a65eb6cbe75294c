// POST /topics/{topic_name} (REST Proxy v2): `{"records": [{"key", "value", "partition"}]}` in the
// json (application/vnd.kafka.json.v2+json) or binary (base64, vnd.kafka.binary.v2+json) embedded
// format. As in v2, a request with an invalid record is refused whole (422/413 naming each record
// index and field; none of it stored); a valid one is answered once Kafka acknowledged it, with an
// offset or an error (error_code 1 non-retriable, 2 retriable) per record.

import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.ts';
import { parseV2Body, type V2Format } from '../record-formats.ts';
import { type RecordProblem, RestError, RestErrors } from '../rest-errors.ts';
import {
  bodyBytes,
  bodyText,
  errorResponse,
  mediaType,
  type PathItem,
  sendError,
  withOffset,
} from './route-kit.ts';

const FORMATS: Record<string, V2Format> = {
  'application/vnd.kafka.json.v2+json': 'json',
  'application/vnd.kafka.binary.v2+json': 'binary',
};
const V2_TYPE = 'application/vnd.kafka.v2+json';

export const v2ProduceRequestSchema = {
  type: 'object',
  required: ['records'],
  properties: {
    records: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { description: 'JSON (json format) or base64 text (binary format)', nullable: true },
          value: { description: 'JSON (json format) or base64 text (binary format)', nullable: true },
          partition: { type: 'integer', minimum: 0, nullable: true },
        },
      },
    },
  },
} as const;

export const v2ProduceResponseSchema = {
  type: 'object',
  required: ['offsets'],
  properties: {
    key_schema_id: { type: 'integer', nullable: true },
    value_schema_id: { type: 'integer', nullable: true },
    offsets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          partition: { type: 'integer', nullable: true },
          offset: { type: 'integer', format: 'int64', nullable: true },
          error_code: {
            type: 'integer',
            nullable: true,
            description: '1 non-retriable, 2 retriable, null when stored',
          },
          error: { type: 'string', nullable: true },
        },
      },
    },
  },
} as const;

const v2Error = (d: string) => ({
  description: d,
  content: { [V2_TYPE]: { schema: { $ref: '#/components/schemas/Error' } } },
});

export const v2ProducePath: PathItem = {
  '/topics/{topic_name}': {
    post: {
      operationId: 'produceV2',
      summary: 'Produce records (REST Proxy v2)',
      parameters: [{ name: 'topic_name', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: Object.fromEntries(
          Object.keys(FORMATS).map((t) => [t, { schema: { $ref: '#/components/schemas/V2ProduceRequest' } }]),
        ),
      },
      responses: {
        '200': {
          description: 'Offsets per record, in order, after Kafka acknowledged them',
          content: { [V2_TYPE]: { schema: { $ref: '#/components/schemas/V2ProduceResponse' } } },
        },
        '400': v2Error('Malformed JSON body'),
        '401': v2Error('No or unknown token'),
        '403': v2Error('The token may not write this topic'),
        '404': v2Error('Topic not found (40401)'),
        '413': errorResponse('Body or record over the size limit (42201 for a record)'),
        '415': v2Error('Unsupported content type'),
        '422': v2Error('Invalid records (42200; 42202 partition): none stored; index and field named'),
        '429': v2Error('In-flight budget full or token rate exceeded; see Retry-After'),
        '500': v2Error('Kafka error (50002): the records may or may not be stored'),
        '503': v2Error('Shutting down'),
      },
    },
  },
};

export function registerV2Produce(app: FastifyInstance, gw: Gateway): void {
  app.post<{ Params: { topic_name: string } }>('/topics/:topic_name', async (req, reply) => {
    const topic = req.params.topic_name;
    const bytes = bodyBytes(req.body);
    gw.metrics.bytes.inc(bytes);
    try {
      const principal = gw.authorize(req.headers.authorization, topic);
      const mt = mediaType(req);
      const format = mt === undefined ? undefined : FORMATS[mt];
      if (format === undefined) throw RestErrors.unsupportedMediaType(mt, Object.keys(FORMATS));
      const partitions = await gw.partitionCount('v2', topic);
      let body: unknown;
      try {
        body = JSON.parse(bodyText(req.body));
      } catch (err) {
        throw RestErrors.malformed('v2', `malformed JSON body: ${(err as Error).message}`);
      }
      const parsed = parseV2Body(body, format, topic, Date.now());
      if (!parsed.ok) {
        if ('reason' in parsed) throw new RestError(422, 42200, `Unprocessable Entity: ${parsed.reason}`);
        gw.metrics.records.inc({ outcome: 'rejected' }, parsed.problems.length);
        throw RestErrors.recordsInvalid('v2', parsed.problems);
      }
      if (parsed.records.length === 0)
        throw new RestError(422, 42200, "Unprocessable Entity: 'records' is empty");
      const problems: RecordProblem[] = [];
      parsed.records.forEach((r, i) => {
        const p = gw.inspect(r, i, `records[${i}].`, partitions);
        if (p !== undefined) problems.push(p);
      });
      if (problems.length > 0) {
        gw.metrics.records.inc({ outcome: 'rejected' }, parsed.records.length);
        throw RestErrors.recordsInvalid('v2', problems);
      }
      const deliveries = await gw.produce(principal, parsed.records, bytes);
      if (deliveries.every((d) => !d.ok)) {
        const first = deliveries[0];
        throw RestErrors.kafka(first !== undefined && !first.ok ? first.message : 'no acknowledgement');
      }
      const offsets = deliveries.map((d) =>
        d.ok
          ? withOffset({ partition: d.partition, offset: 0, error_code: null, error: null }, d.offset)
          : JSON.stringify({
              partition: null,
              offset: null,
              error_code: d.retriable ? 2 : 1,
              error: d.message,
            }),
      );
      return reply
        .code(200)
        .type(V2_TYPE)
        .send(`{"offsets":[${offsets.join(',')}],"key_schema_id":null,"value_schema_id":null}`);
    } catch (err) {
      if (err instanceof RestError) return sendError(reply, err, V2_TYPE);
      throw err;
    }
  });
}
