// GET /api/jobs: one row per job for the jobs page (status, last iteration, lag, next run, health,
// progress of a running iteration).

import type { FastifyInstance } from 'fastify';
import { type ConsoleContext, sendJson } from '../console-context.ts';
import { jobSummary } from '../job-views.ts';

export function jobsApi(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/jobs', async (_req, reply) => {
    await ctx.catalog.refresh();
    const jobs = await Promise.all(
      ctx.catalog.entries().map((e) => jobSummary(e, ctx.stateRoot, ctx.tracker)),
    );
    return sendJson(reply, { jobs, at: new Date().toISOString() });
  });
}
