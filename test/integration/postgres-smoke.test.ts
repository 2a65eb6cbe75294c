// Smoke test: pg against our PostgreSQL: DDL, insert, select, an upsert in a transaction.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/kafka.ts';

describe('PostgreSQL smoke', () => {
  it('creates a table, inserts, upserts in a transaction and selects', async () => {
    const client = new pg.Client({
      connectionString: process.env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange',
    });
    await client.connect();
    const table = uniqueName('smoke').replace('-', '_');
    try {
      await client.query(`create table ${table} (k text primary key, n bigint not null)`);
      await client.query('begin');
      await client.query(`insert into ${table} values ('a', 1), ('b', 2)`);
      await client.query(
        `insert into ${table} values ('a', 10) on conflict (k) do update set n = ${table}.n + excluded.n`,
      );
      await client.query('commit');
      const r = await client.query(`select k, n::int as n from ${table} order by k`);
      expect(r.rows).toEqual([
        { k: 'a', n: 11 },
        { k: 'b', n: 2 },
      ]);
    } finally {
      await client.query(`drop table if exists ${table}`);
      await client.end();
    }
  });
});
