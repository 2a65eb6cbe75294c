// The PostgreSQL sink against the real server, driven as the task runner drives it: every schema
// type lands as its 1:1 PostgreSQL type and reads back exactly (psql); upsert keeps one row per key
// (highest offset wins); an added nullable field becomes a column; other changes are refused.
import { afterAll, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { postgresSinkSchema } from '../../../src/job/job-spec.ts';
import { type Schema, t } from '../../../src/job/schema.ts';
import { PostgresSink } from '../../../src/sinks/postgres/postgres-sink.ts';
import { psql } from '../../helpers/pg-kafka.ts';
import { endpoints, runSinkTask, sinkRows, uniqueId } from '../../helpers/sinks.ts';

const schemaName = uniqueId('krange_it');
const sinks: PostgresSink[] = [];
function sink(options: Record<string, unknown>): PostgresSink {
  const s = new PostgresSink(
    postgresSinkSchema.parse({ kind: 'postgres', schema: schemaName, ...options }),
    endpoints().pgUrl,
  );
  sinks.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  psql(`drop schema if exists ${schemaName} cascade`);
});

describe('postgres sink tables', () => {
  it('creates the table with 1:1 types and reads every value back exactly', async () => {
    const schema: Schema = {
      id: t.int64(),
      n: t.int32(),
      x: t.float64(),
      ok: t.bool(),
      s: t.utf8(),
      at: t.timestamp('us'),
      tags: t.list(t.utf8()),
      nums: t.nullable(t.list(t.int64())),
      note: t.nullable(t.utf8()),
    };
    const rows = sinkRows(schema, [
      {
        offset: 0,
        row: {
          id: 9007199254740993n,
          n: -7,
          x: 0.1,
          ok: true,
          s: 'tab\there "q" back\\slash\nnewline é',
          at: 1_700_000_000_123_456n,
          tags: ['a', 'b "c"', 'd\\e', '', 'f,g{h}'],
          nums: [1n, 9223372036854775807n],
          note: null,
        },
      },
      {
        offset: 1,
        row: { id: -1, n: 0, x: -1e300, ok: false, s: '', at: 0, tags: [], nums: null, note: 'n' },
      },
    ]);
    const stats = await runSinkTask(sink({ table: 'types' }), schema, rows);
    expect(stats.rows).toBe(2);
    expect(
      psql(
        `select column_name, format_type(atttypid, atttypmod) from information_schema.columns c
         join pg_attribute a on a.attrelid = '${schemaName}.types'::regclass and a.attname = c.column_name
         where table_schema = '${schemaName}' and table_name = 'types' order by ordinal_position`,
      ).map((r) => r[1]),
    ).toEqual([
      'bigint',
      'integer',
      'double precision',
      'boolean',
      'text',
      'timestamp with time zone',
      'text[]',
      'bigint[]',
      'text',
    ]);
    const out = psql(
      `select id, n, x, ok, encode(convert_to(s, 'UTF8'), 'base64'), to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
              array_to_json(tags), array_to_json(nums), coalesce(note, '<null>')
       from ${schemaName}.types order by id desc`,
    );
    expect(out).toEqual([
      [
        '9007199254740993',
        '-7',
        '0.1',
        't',
        Buffer.from('tab\there "q" back\\slash\nnewline é')
          .toString('base64')
          .replace(/(.{76})/g, '$1\n'),
        '2023-11-14 22:13:20.123456',
        '["a","b \\"c\\"","d\\\\e","","f,g{h}"]',
        '[1,9223372036854775807]',
        '<null>',
      ],
      ['-1', '0', '-1e+300', 'f', '', '1970-01-01 00:00:00.000000', '[]', '', 'n'],
    ]);
  });

  it('upserts on the key: one row per key, the highest offset wins, a replay changes nothing', async () => {
    const schema: Schema = { user: t.utf8(), score: t.int64() };
    const rows = sinkRows(schema, [
      { offset: 10, row: { user: 'a', score: 1 } },
      { offset: 11, row: { user: 'b', score: 2 } },
      { offset: 12, row: { user: 'a', score: 3 } },
    ]);
    const s = sink({ table: 'scores', mode: 'upsert', key: ['user'] });
    expect((await runSinkTask(s, schema, rows, 2)).rows).toBe(3);
    const more = sinkRows(schema, [{ offset: 13, row: { user: 'b', score: 5 } }]);
    await runSinkTask(s, schema, more);
    expect(psql(`select "user", score from ${schemaName}.scores order by 1`)).toEqual([
      ['a', '3'],
      ['b', '5'],
    ]);
    // The first range again (a replay): its marker says loaded, so b keeps 5.
    expect((await runSinkTask(s, schema, rows)).rows).toBe(0);
    expect(psql(`select "user", score from ${schemaName}.scores order by 1`)).toEqual([
      ['a', '3'],
      ['b', '5'],
    ]);
  });

  it('adds a new nullable field as a column and refuses other schema changes with the fix', async () => {
    const v1: Schema = { id: t.int64(), name: t.utf8() };
    await runSinkTask(
      sink({ table: 'evolving' }),
      v1,
      sinkRows(v1, [{ offset: 0, row: { id: 1, name: 'x' } }]),
    );
    const v2: Schema = { ...v1, email: t.nullable(t.utf8()) };
    await runSinkTask(
      sink({ table: 'evolving' }),
      v2,
      sinkRows(v2, [{ offset: 1, row: { id: 2, name: 'y', email: 'y@example.com' } }]),
    );
    expect(psql(`select id, name, coalesce(email, '-') from ${schemaName}.evolving order by id`)).toEqual([
      ['1', 'x', '-'],
      ['2', 'y', 'y@example.com'],
    ]);
    const refused = async (schema: Schema) =>
      runSinkTask(sink({ table: 'evolving' }), schema, sinkRows(schema, [])).then(
        () => undefined,
        (e: unknown) => e,
      );
    const typeChange = await refused({ ...v2, id: t.utf8() });
    expect(isKrangeError(typeChange, 'KRANGE_CONFIG')).toBe(true);
    expect((typeChange as Error).message).toMatch(/column 'id' is bigint .*ALTER COLUMN "id" TYPE text/);
    const notNull = await refused({ ...v2, phone: t.utf8() });
    expect((notNull as Error).message).toMatch(/'phone'.*new and not nullable/);
    const dropped = await refused({ id: t.int64(), email: t.nullable(t.utf8()) });
    expect((dropped as Error).message).toMatch(/column 'name' .*not in the job's schema/);
    // Nothing was altered by the refusals.
    expect(
      psql(
        `select count(*) from information_schema.columns where table_schema = '${schemaName}' and table_name = 'evolving'`,
      ),
    ).toEqual([['3']]);
  });
});
