// The PostgreSQL sink's table, created or checked from the job's schema. Types map 1:1: utf8 text,
// int32 integer, int64 bigint, float64 double precision, bool boolean, timestamp timestamptz, list
// an array of its item. The one change applied by itself is a new nullable field (ALTER TABLE ADD
// COLUMN); any other difference is refused with the statement that would fix it. A table stricter
// than the schema (NOT NULL, CHECK, varchar(n)) is the user's to make: rows it refuses follow onBadRecord. The planning is
// pure (planTable); ensureTable runs it under an advisory lock, so concurrent workers agree.

import type { PoolClient } from 'pg';
import { Errors, type KrangeError } from '../../errors.ts';
import { describeType, type FieldType, type Schema } from '../../job/schema.ts';

/** `"name"`, with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The column type krange creates for a field. Nested lists have no PostgreSQL equivalent. */
export function pgColumnType(ft: FieldType): string {
  switch (ft.kind) {
    case 'utf8':
      return 'text';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'float64':
      return 'double precision';
    case 'bool':
      return 'boolean';
    case 'timestamp':
      return 'timestamp with time zone';
    case 'list':
      if (ft.item.kind === 'list') {
        throw new Error(
          `${describeType(ft)} cannot be stored: PostgreSQL arrays are rectangular, not lists of lists; flatten it or store it as JSON text (utf8)`,
        );
      }
      return `${pgColumnType(ft.item)}[]`;
  }
}

/** Existing column types (format_type spelling) a field may be written into. */
function accepts(ft: FieldType, existing: string): boolean {
  const arr = ft.kind === 'list';
  if (arr !== existing.endsWith('[]')) return false;
  const base = arr ? existing.slice(0, -2) : existing;
  const kind = ft.kind === 'list' ? ft.item.kind : ft.kind;
  switch (kind) {
    case 'utf8':
      return base === 'text' || base.startsWith('character varying') || base.startsWith('character(');
    case 'int32':
      return base === 'integer' || base === 'bigint' || base.startsWith('numeric');
    case 'int64':
      return base === 'bigint' || base.startsWith('numeric');
    case 'float64':
      return base === 'double precision' || base.startsWith('numeric');
    case 'bool':
      return base === 'boolean';
    case 'timestamp':
      return base === 'timestamp with time zone' || base === 'timestamp without time zone';
    case 'list':
      return false;
  }
}

export interface ExistingColumn {
  name: string;
  /** format_type(): `bigint`, `character varying(5)`, `text[]`... */
  type: string;
  notNull: boolean;
  /** A default, identity or generated column: PostgreSQL fills it when krange leaves it out. */
  hasDefault: boolean;
}

export interface TablePlan {
  /** Statements to run (CREATE TABLE, or ALTER TABLE ADD COLUMN for new nullable fields). */
  statements: string[];
}

export interface TableTarget {
  schema: string;
  table: string;
  /** Upsert key columns (the primary key krange creates). */
  key?: string[] | undefined;
}

export function qualified(t: TableTarget): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/**
 * What to run so the table can take the job's rows; throws a KRANGE_CONFIG error naming each
 * difference and its fix when the table cannot be adapted safely. `existing` undefined: no table.
 */
export function planTable(
  target: TableTarget,
  schema: Schema,
  existing: ExistingColumn[] | undefined,
): TablePlan {
  const name = qualified(target);
  const fields = Object.entries(schema);
  for (const k of target.key ?? []) {
    if (!(k in schema))
      throw Errors.config(`postgres sink ${name}: key column '${k}' is not a field of the job's schema`);
    if (schema[k]!.nullable)
      throw Errors.config(
        `postgres sink ${name}: key column '${k}' is nullable; a key needs a value on every row`,
      );
  }
  let types: [string, FieldType, string][];
  try {
    types = fields.map(([f, ft]) => [f, ft, pgColumnType(ft)]);
  } catch (err) {
    throw Errors.config(`postgres sink ${name}: ${(err as Error).message}`);
  }
  if (existing === undefined) {
    const cols = types.map(([f, ft, ty]) => `${quoteIdent(f)} ${ty}${ft.nullable ? '' : ' NOT NULL'}`);
    if (target.key) cols.push(`PRIMARY KEY (${target.key.map(quoteIdent).join(', ')})`);
    return { statements: [`CREATE TABLE IF NOT EXISTS ${name} (${cols.join(', ')})`] };
  }
  const have = new Map(existing.map((c) => [c.name, c]));
  const problems: string[] = [];
  const statements: string[] = [];
  for (const [f, ft, ty] of types) {
    const col = have.get(f);
    if (col === undefined) {
      if (ft.nullable) statements.push(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${quoteIdent(f)} ${ty}`);
      else
        problems.push(
          `field '${f}' (${describeType(ft)}) is new and not nullable: make it t.nullable(...) so krange adds it, or add it yourself with a default (ALTER TABLE ${name} ADD COLUMN ${quoteIdent(f)} ${ty} NOT NULL DEFAULT ...)`,
        );
      continue;
    }
    if (!accepts(ft, col.type))
      problems.push(
        `column '${f}' is ${col.type} but the job writes ${describeType(ft)} (${ty}): migrate it (ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(f)} TYPE ${ty} USING ...) or rename the field`,
      );
  }
  for (const col of existing) {
    if (col.name in schema || col.hasDefault) continue;
    problems.push(
      `column '${col.name}' (${col.type}) is not in the job's schema: put the field back, give the column a default, or drop it (ALTER TABLE ${name} DROP COLUMN ${quoteIdent(col.name)})`,
    );
  }
  if (problems.length > 0) throw tableRefused(name, problems);
  return { statements };
}

function tableRefused(name: string, problems: string[]): KrangeError {
  return Errors.config(
    `postgres sink: table ${name} does not match the job's schema; krange only adds new nullable columns by itself. ${problems.join('; ')}`,
    { table: name },
  );
}

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
       (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS "hasDefault"
FROM pg_attribute a
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/** True when the table has a unique index on exactly the key columns (ON CONFLICT needs one). */
const UNIQUE_ON_SQL = `
SELECT 1 FROM pg_index i
WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL
  AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a
       WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) = $2::text[]`;

export async function readColumns(
  client: PoolClient,
  target: TableTarget,
): Promise<ExistingColumn[] | undefined> {
  const { rows } = await client.query<ExistingColumn>(COLUMNS_SQL, [qualified(target)]);
  return rows.length === 0 ? undefined : rows;
}

/** Creates or adapts the table (one transaction, under an advisory lock); returns its columns. */
export async function ensureTable(
  client: PoolClient,
  target: TableTarget,
  schema: Schema,
): Promise<ExistingColumn[]> {
  const name = qualified(target);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`krange:table:${name}`]);
    const ns = await client.query('SELECT to_regnamespace($1) IS NOT NULL AS present', [
      quoteIdent(target.schema),
    ]);
    if (ns.rows[0]?.present !== true)
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
    const plan = planTable(target, schema, await readColumns(client, target));
    for (const sql of plan.statements) await client.query(sql);
    if (target.key) {
      const sorted = [...target.key].sort();
      const { rows } = await client.query(UNIQUE_ON_SQL, [name, sorted]);
      if (rows.length === 0)
        throw Errors.config(
          `postgres sink: upsert into ${name} needs a unique index on (${target.key.join(', ')}), which ON CONFLICT uses: CREATE UNIQUE INDEX ON ${name} (${target.key.map(quoteIdent).join(', ')})`,
          { table: name },
        );
    }
    const columns = (await readColumns(client, target)) ?? [];
    await client.query('COMMIT');
    return columns;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
