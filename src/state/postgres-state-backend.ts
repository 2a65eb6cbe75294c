// The state backend in PostgreSQL (`stateStore: 'postgres:'`, the job's PostgreSQL endpoint, or a
// `postgres://…` URL): one table, one row per state file, so a plan, a commit or a lock claim is
// as durable as a committed transaction and readable with psql:
//
//   CREATE TABLE krange_state (path text COLLATE "C" PRIMARY KEY, body text NOT NULL,
//                              writer uuid, updated_at timestamptz NOT NULL DEFAULT now())
//
// `body` is text, not bytea: every state file is UTF-8 JSON, and people read them with
// `SELECT body::jsonb FROM krange_state WHERE path = 'job/commits/3.json'`. The "C" collation keeps
// a folder's rows one range of the primary key, so a listing is an index range scan.
// - createExclusive: INSERT … ON CONFLICT DO NOTHING: exactly one inserting transaction gets the row.
// - replace: INSERT … ON CONFLICT DO UPDATE, one statement: readers see the old row or the new one.
// - append: `body = krange_state.body || $2` in the same upsert.
// Every statement is retried within the retry budget when the server is unreachable or restarting;
// an exclusive insert that may have run before its answer was lost is recognised on retry by its
// `writer`, a random id per call (two drivers writing identical bodies still have one winner).
// (An append retried that way may add its text twice: history readers keep one line per iteration.)

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Errors, isTransientSystemError, KrangeError } from '../errors.ts';
import { redactUrl } from '../job/endpoints.ts';
import { RetriesExhausted, withRetries } from '../retry.ts';
import type { StateBackend } from './state-backend.ts';

export const STATE_TABLE = 'krange_state';

/** Connection problems and server restarts (SQLSTATE class 08, 57P01-57P03, too many connections). */
function transient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300'))
    return true;
  if (isTransientSystemError(err)) return true;
  return err instanceof Error && /Connection terminated|connection timeout|ECONNREFUSED/i.test(err.message);
}

/** The first key after every key that starts with `prefix` (which ends with '/'): its folder's range end. */
function after(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

export class PostgresStateBackend implements StateBackend {
  // `pg` is loaded on first use: a command whose job keeps its state elsewhere never loads it.
  private pool: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    /** What set the URL, for an unreachable server (`set by KRANGE_PG_URL`, the job's stateStore). */
    private readonly origin: string,
    /** The location as the user gave it (reopened by tasks: it may hold a password; never shown). */
    readonly location: string,
    private readonly retryBudgetMs: number,
  ) {}

  private connect(): Promise<pg.Pool> {
    this.pool ??= import('pg').then(({ default: pg }) => {
      const pool = new pg.Pool({
        connectionString: this.url,
        max: 4,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 5000,
        // The CLI exits when its work is done; an idle connection must not keep it alive.
        allowExitOnIdle: true,
        application_name: 'krange state',
      });
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      return pool;
    });
    return this.pool;
  }

  describe(key: string): string {
    return `${redactUrl(this.location)} (table ${STATE_TABLE}, path '${key}')`;
  }

  private async query<R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    this.ready ??= this.run(
      `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (path text COLLATE "C" PRIMARY KEY, body text NOT NULL, ` +
        'writer uuid, updated_at timestamptz NOT NULL DEFAULT now())',
      [],
    ).then(
      () => undefined,
      (err: unknown) => {
        // Two processes creating the table at once: one gets a unique violation on its type.
        const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string })).code;
        if (code === '23505' || code === '42P07') return;
        this.ready = undefined;
        throw err;
      },
    );
    await this.ready;
    return this.run<R>(sql, params);
  }

  private async run<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await withRetries(async () => (await this.connect()).query<R>(sql, params), {
        budgetMs: this.retryBudgetMs,
        classify: (err) =>
          err instanceof KrangeError
            ? err
            : new KrangeError(
                'KRANGE_POSTGRES',
                `state store ${redactUrl(this.location)}: ${(err as Error).message}`,
                {
                  cause: err,
                  retriable: transient(err),
                },
              ),
      });
    } catch (err) {
      const last = err instanceof RetriesExhausted ? err.last : err;
      if (transient(last))
        throw Errors.unreachable({
          service: 'PostgreSQL',
          address: redactUrl(this.url),
          origin: this.origin,
          reason: `${(last as Error).message} (the job's state store ${redactUrl(this.location)})`,
          cause: last,
        });
      if (err instanceof KrangeError) throw err;
      throw new KrangeError(
        'KRANGE_POSTGRES',
        `state store ${redactUrl(this.location)}: ${(last as Error).message}`,
        {
          cause: last,
          retriable: false,
        },
      );
    }
  }

  async read(key: string): Promise<string | undefined> {
    const r = await this.query<{ body: string }>(`SELECT body FROM ${STATE_TABLE} WHERE path = $1`, [key]);
    return r.rows[0]?.body;
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? '' : `${dir}/`;
    const r =
      prefix === ''
        ? await this.query<{ name: string }>(
            `SELECT DISTINCT split_part(path, '/', 1) AS name FROM ${STATE_TABLE}`,
            [],
          )
        : await this.query<{ name: string }>(
            `SELECT DISTINCT split_part(substr(path, $3), '/', 1) AS name FROM ${STATE_TABLE} ` +
              'WHERE path >= $1 AND path < $2',
            [prefix, after(prefix), prefix.length + 1],
          );
    return r.rows.map((x) => x.name).filter((n) => n !== '' && !n.startsWith('.'));
  }

  async createExclusive(key: string, body: string): Promise<boolean> {
    const writer = randomUUID();
    const r = await this.query(
      `INSERT INTO ${STATE_TABLE} (path, body, writer) VALUES ($1, $2, $3) ON CONFLICT (path) DO NOTHING`,
      [key, body, writer],
    );
    if (r.rowCount === 1) return true;
    // A retried insert whose first answer was lost finds its own row.
    const w = await this.query<{ writer: string | null }>(
      `SELECT writer FROM ${STATE_TABLE} WHERE path = $1`,
      [key],
    );
    return w.rows[0]?.writer === writer;
  }

  async replace(key: string, body: string): Promise<void> {
    await this.query(
      `INSERT INTO ${STATE_TABLE} (path, body) VALUES ($1, $2) ` +
        'ON CONFLICT (path) DO UPDATE SET body = excluded.body, writer = NULL, updated_at = now()',
      [key, body],
    );
  }

  async append(key: string, text: string): Promise<void> {
    await this.query(
      `INSERT INTO ${STATE_TABLE} (path, body) VALUES ($1, $2) ` +
        `ON CONFLICT (path) DO UPDATE SET body = ${STATE_TABLE}.body || excluded.body, updated_at = now()`,
      [key, text],
    );
  }

  async remove(key: string): Promise<void> {
    await this.query(`DELETE FROM ${STATE_TABLE} WHERE path = $1`, [key]);
  }

  async close(): Promise<void> {
    if (this.pool !== undefined) await (await this.pool).end();
  }
}
