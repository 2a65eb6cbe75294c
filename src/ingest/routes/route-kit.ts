// What every route file shares: the route's OpenAPI fragment type, the media type of a request,
// the Confluent error body schema, and JSON output that keeps int64 offsets exact.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RestError } from '../rest-errors.ts';

/** One path of the OpenAPI document, declared beside its route. */
export type PathItem = Record<string, unknown>;

export const errorBodySchema = {
  type: 'object',
  required: ['error_code', 'message'],
  properties: {
    error_code: {
      type: 'integer',
      description: 'HTTP status (v3) or status * 100 + sub code (v2, e.g. 40401)',
    },
    message: { type: 'string' },
  },
} as const;

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The media type without parameters, lower case; undefined when absent. */
export function mediaType(req: FastifyRequest): string | undefined {
  const ct = req.headers['content-type'];
  if (ct === undefined) return undefined;
  return ct.split(';')[0]?.trim().toLowerCase();
}

export function sendError(
  reply: FastifyReply,
  err: RestError,
  contentType = 'application/json',
): FastifyReply {
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  return reply.code(err.status).type(contentType).send(JSON.stringify(err.body()));
}

/** JSON with the offset written as the exact decimal digits of an int64 (JSON.stringify would need a Number). */
export function withOffset(obj: Record<string, unknown>, offset: string): string {
  const text = JSON.stringify({ ...obj, offset: 0 });
  return text.replace('"offset":0', `"offset":${offset}`);
}

export function bodyText(body: unknown): string {
  return Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
}

export function bodyBytes(body: unknown): number {
  return Buffer.isBuffer(body) ? body.length : typeof body === 'string' ? Buffer.byteLength(body) : 0;
}
