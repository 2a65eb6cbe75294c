// GET /api/jobs/:job/file?path=...: schema and row count of a Parquet file the job's commits name.

import type { FastifyInstance } from 'fastify';
import { type ConsoleContext, entryOf, sendJson } from '../console-context.ts';
import { parquetInfo } from '../parquet-info.ts';

export function fileApi(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Params: { job: string }; Querystring: { path: string } }>(
    '/api/jobs/:job/file',
    {
      schema: {
        params: { type: 'object', properties: { job: { type: 'string' } }, required: ['job'] },
        querystring: {
          type: 'object',
          properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } },
          required: ['path'],
        },
      },
    },
    async (req, reply) => {
      const entry = await entryOf(ctx, req.params.job);
      return sendJson(reply, await parquetInfo(entry.name, ctx.stateRoot, req.query.path));
    },
  );
}
