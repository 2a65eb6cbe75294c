// What every console route shares: the job catalogue, the position tracker, the state root, the
// action token and the logger; and the one way answers leave (JSON with credentials masked).

import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import type { PositionTracker } from '../metrics/job-positions.ts';
import type { CatalogEntry, JobCatalog } from './job-catalog.ts';
import { safeJson } from './security.ts';

export interface ConsoleContext {
  catalog: JobCatalog;
  tracker: PositionTracker;
  stateRoot: string;
  /** KRANGE_CONSOLE_TOKEN; without it actions are refused. */
  token: string | undefined;
  logger: Logger;
}

export function sendJson(reply: FastifyReply, value: unknown, code = 200): FastifyReply {
  return reply.code(code).type('application/json; charset=utf-8').send(safeJson(value));
}

/** Error answers in the Confluent REST Proxy v3 shape: {error_code, message}. */
export function sendError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return sendJson(reply, { error_code: code, message }, code);
}

export async function entryOf(ctx: ConsoleContext, name: string): Promise<CatalogEntry> {
  await ctx.catalog.refresh();
  const e = ctx.catalog.get(name);
  if (e === undefined) throw Errors.jobNotFound(name, `${ctx.stateRoot} and the jobs directory`);
  return e;
}

/** The job's loaded module: actions and dry runs need the job, not only its state. */
export async function loadedJobOf(ctx: ConsoleContext, name: string): Promise<LoadedJob> {
  const e = await entryOf(ctx, name);
  if (e.job === undefined)
    throw Errors.usage(
      `job '${name}' has state but no loadable job module${e.loadError ? `: ${e.loadError}` : ''}`,
    );
  return e.job;
}
