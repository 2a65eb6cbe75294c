// Options of the PostgreSQL sink (`postgres({...})`): target table, append or upsert, COPY batch
// size. Rows are loaded exactly once through range markers (src/sinks/postgres/).

import { z } from 'zod';
import { options } from './strict-options.ts';

const pgIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a PostgreSQL identifier: letters, digits and _, at most 63');

export const postgresSinkSchema = options({
  /** Set by `postgres()`. */
  kind: z.literal('postgres'),
  /** `postgres://user:pass@host:port/db`; defaults to KRANGE_PG_URL. */
  url: z.string().optional(),
  /** Table the rows go to; created from the job's schema when missing, checked when present. */
  table: pgIdentifier,
  /** PostgreSQL schema (namespace) of the table and of krange's marker table `krange_loaded_ranges`. */
  schema: pgIdentifier.default('public'),
  /**
   * `append` (default): each record's rows are inserted once, tracked by range markers, no key needed.
   * `upsert`: `INSERT ... ON CONFLICT (key) DO UPDATE` from a staging table; the row of the highest
   * offset wins within a task.
   */
  mode: z.enum(['append', 'upsert']).default('append'),
  /** Key columns for `upsert` (the primary key when krange creates the table). */
  key: z.array(pgIdentifier).min(1).optional(),
  /** Rows per COPY statement. */
  batchSize: z.number().int().positive().default(10_000),
  /** At most this many retries of opening a task after retriable errors (backoff with jitter), within the job's `retry.budgetMs`. */
  retries: z.number().int().min(0).default(5),
}).superRefine((o, ctx) => {
  if (o.mode === 'upsert' && o.key === undefined)
    ctx.addIssue({ code: 'custom', message: "postgres sink: mode 'upsert' needs key: ['column', ...]" });
  if (o.mode === 'append' && o.key !== undefined)
    ctx.addIssue({
      code: 'custom',
      message: "postgres sink: key is used by mode 'upsert' only; set mode: 'upsert'",
    });
});
export type PostgresSinkSpec = z.infer<typeof postgresSinkSchema>;
