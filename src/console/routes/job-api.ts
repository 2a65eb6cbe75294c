// GET /api/jobs/:job: the job page (timeline, lag now and over time, throughput, files, bad
// records, progress). GET /api/jobs/:job/plan: the next iteration's plan, a dry run.

import type { FastifyInstance } from 'fastify';
import { buildPlan } from '../../batch/build-plan.ts';
import { jobKafka } from '../../kafka/kafka-client.ts';
import { jobStateStore } from '../../state/state-store.ts';
import { type ConsoleContext, entryOf, loadedJobOf, sendJson } from '../console-context.ts';
import { jobDetail } from '../job-detail.ts';
import { jobSummary } from '../job-views.ts';

const params = {
  type: 'object',
  properties: { job: { type: 'string', minLength: 1, maxLength: 255 } },
  required: ['job'],
} as const;

export function jobApi(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Params: { job: string } }>('/api/jobs/:job', { schema: { params } }, async (req, reply) => {
    const entry = await entryOf(ctx, req.params.job);
    const [summary, detail] = await Promise.all([
      jobSummary(entry, ctx.stateRoot, ctx.tracker),
      jobDetail(entry, ctx.stateRoot, ctx.tracker),
    ]);
    return sendJson(reply, { summary, ...detail });
  });

  app.get<{ Params: { job: string } }>('/api/jobs/:job/plan', { schema: { params } }, async (req, reply) => {
    const job = await loadedJobOf(ctx, req.params.job);
    const store = jobStateStore(job.spec, ctx.stateRoot);
    const pending = await store.pendingIteration();
    if (pending !== undefined)
      return sendJson(reply, { pending: true, ...(await store.readOffsets(pending)) });
    const admin = jobKafka(job).admin();
    await admin.connect();
    try {
      const plan = await buildPlan(admin, job.spec, store, ((await store.latestIteration()) ?? -1) + 1);
      return sendJson(reply, { pending: false, ...plan });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
}
