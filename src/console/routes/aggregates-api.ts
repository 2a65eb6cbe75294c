// GET /api/aggregates/:job: recent windows of the job's aggregate table, stored offsets against
// the log end, freshness.

import type { FastifyInstance } from 'fastify';
import { Errors } from '../../errors.ts';
import { aggregateView } from '../aggregate-view.ts';
import { type ConsoleContext, loadedJobOf, sendJson } from '../console-context.ts';

export function aggregatesApi(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Params: { job: string } }>(
    '/api/aggregates/:job',
    { schema: { params: { type: 'object', properties: { job: { type: 'string' } }, required: ['job'] } } },
    async (req, reply) => {
      const job = await loadedJobOf(ctx, req.params.job);
      if (job.spec.aggregate === undefined)
        throw Errors.usage(`job '${job.spec.name}' has no aggregate section`);
      return sendJson(reply, await aggregateView(job));
    },
  );
}
