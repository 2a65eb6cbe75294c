// PostgreSQL sink: per task, one transaction holds the task's rows (COPY, see pg-load.ts) and a
// marker row for its range (pg-markers.ts), so a range is loaded exactly once without any key: a
// replay finds the marker and writes nothing, and a differently split replay (after `krange
// reset`) writes only the records no marker covers. `mode: 'upsert'` merges on `key` instead of
// appending, still under the marker. The table is created or checked from the job's schema once
// per worker (pg-table.ts). A lost connection fails the task with a retriable error: the
// transaction is gone, nothing of the task is visible, and the pool's next attempt starts afresh.

import pg from 'pg';
import { Errors } from '../../errors.ts';
import type { PostgresSinkSpec } from '../../job/job-spec.ts';
import type { Schema } from '../../job/schema.ts';
import { LogEvents } from '../../log-events.ts';
import { DEFAULT_RETRY_BUDGET_MS, transientWhen, withRetries, writeFailure } from '../../retry.ts';
import type { Sink, SinkTaskWriter, TaskContext } from '../sink.ts';
import { describePgError, isTransientPgError } from './pg-errors.ts';
import { ensureMarkerTable } from './pg-markers.ts';
import { type ExistingColumn, ensureTable, qualified } from './pg-table.ts';
import { PostgresTaskWriter } from './pg-task-writer.ts';

/** `postgres://host:port/db` without credentials or parameters, for commit files and messages. */
export function pgServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparsable url)';
  }
}

export class PostgresSink implements Sink {
  readonly name: string;
  /** `schema.table`, quoted. */
  readonly table: string;
  /** `postgres://host:port/db/schema.table`, for commit files. */
  readonly target: string;
  readonly server: string;
  private readonly pool: pg.Pool;
  private columns: Promise<ExistingColumn[]> | undefined;

  constructor(
    readonly spec: PostgresSinkSpec,
    /** The configured server (KRANGE_PG_URL), used when the spec names none. */
    pgUrl: string,
    /** How long opening a task is retried (ms; the sink's `retries` caps the count within it). */
    private readonly retryBudgetMs: number = DEFAULT_RETRY_BUDGET_MS,
  ) {
    const url = spec.url ?? pgUrl;
    this.table = qualified(spec);
    this.name = `postgres:${spec.schema}.${spec.table}`;
    this.server = pgServer(url);
    this.target = `${this.server}/${spec.schema}.${spec.table}`;
    // One task at a time per worker: two connections cover a task and a stale one being dropped.
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: 5000,
      // Names the sink in pg_stat_activity, for operators.
      application_name: `krange ${this.name}`,
    });
    // An idle connection that dies (server restart) must not crash the worker; the next checkout fails.
    this.pool.on('error', () => undefined);
    // ...nor one lost while a task holds it: the task's next query fails and says so.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async open(ctx: TaskContext): Promise<SinkTaskWriter> {
    const where = { task: ctx.taskId, topic: ctx.topic, partition: ctx.partition };
    try {
      return await withRetries(
        async () => {
          const client = await this.pool.connect();
          try {
            const columns = await this.tableColumns(client, ctx.schema);
            return await PostgresTaskWriter.begin(this, ctx, client, columns);
          } catch (err) {
            client.release(isTransientPgError(err) ? (err as Error) : undefined);
            throw err;
          }
        },
        {
          budgetMs: this.retryBudgetMs,
          maxRetries: this.spec.retries,
          classify: transientWhen(isTransientPgError, 'KRANGE_POSTGRES'),
          onRetry: (err, attempt, delayMs) =>
            ctx.logger.warn(
              { event: LogEvents.sinkRetry, sink: this.name, task: ctx.taskId, attempt, delayMs },
              `postgres unavailable, retrying: ${describePgError(err.cause ?? err)}`,
            ),
        },
      );
    } catch (err) {
      throw writeFailure(err, {
        sink: this.name,
        target: this.target,
        server: this.server,
        unwritten: `task ${ctx.taskId}`,
        urlVariable: 'KRANGE_PG_URL',
        where,
        reason: (e) => describePgError(e.last),
      });
    }
  }

  /** Creates or checks the table and the marker table once; a failure is forgotten for a retry. */
  private tableColumns(client: pg.PoolClient, schema: Schema): Promise<ExistingColumn[]> {
    this.columns ??= (async () => {
      const columns = await ensureTable(client, { ...this.spec, key: this.spec.key }, schema);
      await ensureMarkerTable(client, this.spec.schema);
      return columns;
    })().catch((err: unknown) => {
      this.columns = undefined;
      if (
        isTransientPgError(err) ||
        (err instanceof Error && 'code' in err && String(err.code).startsWith('KRANGE'))
      )
        throw err;
      throw Errors.sink(
        this.name,
        `cannot prepare table ${this.table}: ${describePgError(err)}`,
        {},
        err,
        false,
      );
    });
    return this.columns;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
