// The pure half of the PostgreSQL sink: COPY text of every type (int64 exact, timestamps as UTC
// instants with microseconds, arrays, escapes, null), and the table plan: create, add a nullable
// column, refuse anything else with the statement that fixes it.
import { describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { copyLineEncoder, timestampText } from '../../../src/sinks/postgres/pg-copy-text.ts';
import { type ExistingColumn, planTable } from '../../../src/sinks/postgres/pg-table.ts';

describe('COPY text', () => {
  it('spells every type as PostgreSQL reads it', () => {
    const enc = copyLineEncoder([
      t.int64(),
      t.int32(),
      t.float64(),
      t.bool(),
      t.utf8(),
      t.nullable(t.utf8()),
      t.timestamp('ms'),
      t.list(t.utf8()),
    ]);
    expect(
      enc([
        9007199254740993n,
        -5,
        1.5,
        true,
        'a\tb\\c\nd',
        null,
        1_700_000_000_123,
        ['x', 'y "z"', null, 'w\\v'],
      ]),
    ).toBe(
      '9007199254740993\t-5\t1.5\tt\ta\\tb\\\\c\\nd\t\\N\t2023-11-14T22:13:20.123+00\t{"x","y \\\\"z\\\\"",NULL,"w\\\\\\\\v"}\n',
    );
  });
  it('keeps microseconds, truncates nanoseconds, and handles instants before 1970', () => {
    expect(timestampText(1_700_000_000_123_456n, 'us')).toBe('2023-11-14T22:13:20.123456+00');
    expect(timestampText(1_700_000_000_123_456_789n, 'ns')).toBe('2023-11-14T22:13:20.123456+00');
    expect(timestampText(-1n, 'us')).toBe('1969-12-31T23:59:59.999999+00');
    expect(timestampText(1_700_000_000, 's')).toBe('2023-11-14T22:13:20.000000+00');
    expect(enc1(Number.NaN)).toBe('NaN\n');
  });
});
const enc1 = (v: number) => copyLineEncoder([t.float64()])([v]);

const target = { schema: 'public', table: 'events' };
const col = (name: string, type: string, notNull = true, hasDefault = false): ExistingColumn => ({
  name,
  type,
  notNull,
  hasDefault,
});

describe('table plan', () => {
  const schema = { id: t.int64(), name: t.utf8(), at: t.timestamp('ms'), tags: t.list(t.utf8()) };
  it('creates the table with 1:1 types and the key as primary key', () => {
    expect(planTable({ ...target, key: ['id'] }, schema, undefined).statements).toEqual([
      'CREATE TABLE IF NOT EXISTS "public"."events" ("id" bigint NOT NULL, "name" text NOT NULL, "at" timestamp with time zone NOT NULL, "tags" text[] NOT NULL, PRIMARY KEY ("id"))',
    ]);
  });
  const existing = [
    col('id', 'bigint'),
    col('name', 'character varying(20)'),
    col('at', 'timestamp with time zone'),
    col('tags', 'text[]'),
  ];
  it('accepts a matching table and adds a new nullable field', () => {
    expect(planTable(target, schema, existing).statements).toEqual([]);
    expect(planTable(target, { ...schema, note: t.nullable(t.utf8()) }, existing).statements).toEqual([
      'ALTER TABLE "public"."events" ADD COLUMN IF NOT EXISTS "note" text',
    ]);
  });
  it('refuses other changes, saying what to do', () => {
    expect(() => planTable(target, { ...schema, note: t.utf8() }, existing)).toThrow(/NOT NULL DEFAULT/);
    expect(() => planTable(target, { ...schema, id: t.utf8() }, existing)).toThrow(
      /ALTER COLUMN "id" TYPE text/,
    );
    // A stricter table is allowed: its NOT NULL refuses null rows one by one (onBadRecord).
    expect(planTable(target, { ...schema, name: t.nullable(t.utf8()) }, existing).statements).toEqual([]);
    const { tags: _dropped, ...fewer } = schema;
    expect(() => planTable(target, fewer, existing)).toThrow(/DROP COLUMN "tags"/);
    expect(
      planTable(target, fewer, [...existing.slice(0, 3), col('tags', 'text[]', true, true)]).statements,
    ).toEqual([]);
    expect(() => planTable(target, { l: t.list(t.list(t.int32())) }, undefined)).toThrow(/rectangular/);
    expect(() => planTable({ ...target, key: ['nope'] }, schema, undefined)).toThrow(/key column 'nope'/);
  });
});
