// Loads one batch of rows inside the task's transaction: COPY into the table (append), or COPY into
// a temporary staging table and `INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT (key) DO
// UPDATE` (upsert; within a batch the row of the highest offset wins). COPY fails as a whole, so a
// batch runs under a savepoint; when PostgreSQL refuses a row, the batch is rolled back to it and
// split in halves until the refused rows stand alone (k bad rows cost about k*log2(n) COPYs, and
// nothing when every row is good). Each refused row goes to the job's onBadRecord policy.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SinkRow } from '../sink.ts';
import { isRowRefusal } from './pg-errors.ts';
import { quoteIdent } from './pg-table.ts';

export interface LoadRow {
  row: SinkRow;
  /** The COPY text line, `\n` included. */
  line: string;
}

export interface LoadStatements {
  /** Append: `COPY t (cols) FROM STDIN`; upsert: the same into the staging table. */
  copy: string;
  /** Upsert only: runs after the COPY into staging. */
  merge?: string;
  /** Upsert only: empties staging before each COPY. */
  reset?: string;
  /** Upsert only: creates staging (once per transaction). */
  createStaging?: string;
}

export const STAGING = 'krange_staging';

export function loadStatements(
  table: string,
  columns: { name: string; type: string }[],
  key: string[] | undefined,
): LoadStatements {
  const cols = columns.map((c) => quoteIdent(c.name)).join(', ');
  if (key === undefined) return { copy: `COPY ${table} (${cols}) FROM STDIN` };
  const keys = key.map(quoteIdent).join(', ');
  const rest = columns.filter((c) => !key.includes(c.name)).map((c) => quoteIdent(c.name));
  const action =
    rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
  return {
    createStaging: `CREATE TEMP TABLE ${STAGING} (${defs}, krange_ord bigint NOT NULL) ON COMMIT DROP`,
    reset: `TRUNCATE ${STAGING}`,
    copy: `COPY ${STAGING} (${cols}, krange_ord) FROM STDIN`,
    merge:
      `INSERT INTO ${table} (${cols}) SELECT DISTINCT ON (${keys}) ${cols} FROM ${STAGING} ` +
      `ORDER BY ${keys}, krange_ord DESC ON CONFLICT (${keys}) ${action}`,
  };
}

/** COPY text in chunks of about 64 KiB (fewer stream writes than a line each). */
function* chunks(rows: LoadRow[], withOrd: boolean): Generator<string> {
  let buf = '';
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]!.line;
    buf += withOrd ? `${line.slice(0, -1)}\t${i}\n` : line;
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}

async function copyRows(client: PoolClient, sql: string, rows: LoadRow[], withOrd: boolean): Promise<void> {
  await pipeline(Readable.from(chunks(rows, withOrd)), client.query(copyFrom(sql)));
}

async function loadOnce(client: PoolClient, s: LoadStatements, rows: LoadRow[]): Promise<void> {
  if (s.merge === undefined) return copyRows(client, s.copy, rows, false);
  await client.query(s.reset!);
  await copyRows(client, s.copy, rows, true);
  await client.query(s.merge);
}

/**
 * Loads rows; the ones PostgreSQL refuses are passed to `refused` (with the error) and left out.
 * Other errors are thrown, and the transaction is then unusable.
 */
export async function loadRows(
  client: PoolClient,
  s: LoadStatements,
  rows: LoadRow[],
  refused: (r: LoadRow, err: unknown) => void,
): Promise<void> {
  if (rows.length === 0) return;
  await client.query('SAVEPOINT krange_batch');
  try {
    await loadOnce(client, s, rows);
  } catch (err) {
    if (!isRowRefusal(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT krange_batch');
    await client.query('RELEASE SAVEPOINT krange_batch');
    if (rows.length === 1) {
      refused(rows[0]!, err);
      return;
    }
    const mid = rows.length >> 1;
    await loadRows(client, s, rows.slice(0, mid), refused);
    await loadRows(client, s, rows.slice(mid), refused);
    return;
  }
  await client.query('RELEASE SAVEPOINT krange_batch');
}
