// The actions, each needing the console token (Authorization: Bearer): POST /api/jobs/:job/run,
// POST /api/jobs/:job/rerun {iteration}, POST /api/jobs/:job/reset/preview {to} (nothing written)
// and POST /api/jobs/:job/reset {to}. The page confirms each before sending it.

import type { FastifyInstance } from 'fastify';
import { parseResetTarget } from '../../batch/reset-job.ts';
import { jobStateStore } from '../../state/state-store.ts';
import { applyJobReset, previewJobReset, startCli } from '../actions.ts';
import { type ConsoleContext, loadedJobOf, sendError, sendJson } from '../console-context.ts';
import { authorise } from '../security.ts';

const params = { type: 'object', properties: { job: { type: 'string' } }, required: ['job'] } as const;
const resetBody = {
  type: 'object',
  properties: { to: { type: 'string', minLength: 1 }, toDatetime: { type: 'string', minLength: 1 } },
  additionalProperties: false,
} as const;

export function actionsApi(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post<{ Params: { job: string } }>('/api/jobs/:job/run', { schema: { params } }, async (req, reply) => {
    if (!authorise(req, reply, ctx.token)) return reply;
    const job = await loadedJobOf(ctx, req.params.job);
    return sendJson(reply, startCli(['run', job.modulePath], ctx.logger), 202);
  });

  app.post<{ Params: { job: string }; Body: { iteration: number } }>(
    '/api/jobs/:job/rerun',
    {
      schema: {
        params,
        body: {
          type: 'object',
          properties: { iteration: { type: 'integer', minimum: 0 } },
          required: ['iteration'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      if (!authorise(req, reply, ctx.token)) return reply;
      const job = await loadedJobOf(ctx, req.params.job);
      const n = req.body.iteration;
      if (!(await jobStateStore(job.spec, ctx.stateRoot).hasOffsets(n)))
        return sendError(reply, 404, `job '${job.spec.name}' has no iteration ${n}`);
      return sendJson(reply, startCli(['rerun', job.modulePath, '--iteration', String(n)], ctx.logger), 202);
    },
  );

  app.post<{ Params: { job: string }; Body: { to?: string; toDatetime?: string } }>(
    '/api/jobs/:job/reset/preview',
    { schema: { params, body: resetBody } },
    async (req, reply) => {
      if (!authorise(req, reply, ctx.token)) return reply;
      const job = await loadedJobOf(ctx, req.params.job);
      const target = parseResetTarget(req.body.to, req.body.toDatetime);
      return sendJson(reply, { target, ...(await previewJobReset(job, target, ctx.stateRoot, ctx.logger)) });
    },
  );

  app.post<{ Params: { job: string }; Body: { to?: string; toDatetime?: string } }>(
    '/api/jobs/:job/reset',
    { schema: { params, body: resetBody } },
    async (req, reply) => {
      if (!authorise(req, reply, ctx.token)) return reply;
      const job = await loadedJobOf(ctx, req.params.job);
      const target = parseResetTarget(req.body.to, req.body.toDatetime);
      const plan = await applyJobReset(job, target, ctx.stateRoot, ctx.logger);
      return sendJson(reply, { iteration: plan.iteration, positions: plan.ranges });
    },
  );
}
