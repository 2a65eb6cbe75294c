// Every sink kind passes the same suite, driven through the Sink interface as the task runner drives
// it (open -> write batches -> commit), and read back by a reader that is not the sink's own code:
// DuckDB (Parquet), the mongo driver, redis-cli, psql, kcat (read_committed). What every sink owes:
// - it writes a task's rows;
// - a replay of the same range (a retried attempt, a rerun with a new sink) writes nothing twice;
// - it stores the schema-checked values: int64 beyond 2^53 exact, timestamps as the instant (also
//   when given as ISO text with an offset), nulls, lists, and no field the schema does not declare;
// - a row its server refuses follows the job's onBadRecord policy as a bad record of stage `sink`
//   (dead-lettered with its coordinates under deadLetter; the task fails naming it under 'fail').
//   Parquet has no server that refuses a checked row, so it has no such case.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLosslessNumber, parse } from 'lossless-json';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import {
  type BadRecordPolicy,
  badRecordPolicySchema,
  kafkaSinkSchema,
  mongoSinkSchema,
  parquetSinkSchema,
  postgresSinkSchema,
  redisSinkSchema,
} from '../../../src/job/job-spec.ts';
import { type Schema, t } from '../../../src/job/schema.ts';
import type { BadRecord } from '../../../src/records/record.ts';
import { withRetries } from '../../../src/retry.ts';
import { deadLetterTarget, sinkRejection } from '../../../src/sinks/dead-letter.ts';
import type { Sink, SinkRow } from '../../../src/sinks/sink.ts';
import { createSink } from '../../../src/sinks/sink-factory.ts';
import { query } from '../../helpers/duckdb.ts';
import { brokers, createTopic, uniqueName } from '../../helpers/kafka.ts';
import { psql } from '../../helpers/pg-kafka.ts';
import { endpoints, runSinkTask, sinkRows, taskContext, uniqueId } from '../../helpers/sinks.ts';

const schema: Schema = {
  n: t.int32(),
  id: t.int64(),
  at: t.timestamp('ms'),
  note: t.nullable(t.utf8()),
  tags: t.list(t.utf8()),
  name: t.utf8(),
};
const FIELDS = Object.keys(schema).sort();
const N = 20;
const BIG = 2n ** 60n;
const AT = 1_700_000_000_000;

/** What every reader returns, whatever the sink's own representation. */
interface Stored {
  n: number;
  /** int64 as decimal text, so an inexact reader shows. */
  id: string;
  /** epoch ms */
  at: number;
  note: string | null;
  tags: string[];
  name: string;
  /** The stored field names, sorted. */
  fields: string[];
}

/** Row n as a transform returns it: row 3's time is ISO text with an offset, row 4's int64 is text, every row carries a field the schema does not declare. */
function input(n: number): Record<string, unknown> {
  return {
    n,
    id: n === 4 ? (BIG + 4n).toString() : BIG + BigInt(n),
    at: n === 3 ? new Date(AT + 3000 + 2 * 3600_000).toISOString().replace('Z', '+02:00') : AT + n * 1000,
    note: n % 2 === 0 ? null : `odd ${n}`,
    tags: n === 6 ? [] : ['a', String(n)],
    name: `n${n}`,
    undeclared: 'not in the schema',
  };
}

function expected(n: number): Stored {
  return {
    n,
    id: (BIG + BigInt(n)).toString(),
    at: AT + n * 1000,
    note: n % 2 === 0 ? null : `odd ${n}`,
    tags: n === 6 ? [] : ['a', String(n)],
    name: `n${n}`,
    fields: FIELDS,
  };
}

let sourceTopic: string;
const rowsOf = (inputs: Record<string, unknown>[]): SinkRow[] =>
  sinkRows(
    schema,
    inputs.map((row, i) => ({ row, offset: 100 + i, partition: 0 })),
    sourceTopic,
  );

const byN = (a: Stored, b: Stored) => a.n - b.n;

// A task as the worker pool runs it: a retriable failure (a fresh broker's transaction coordinator
// still loading, say) is tried again as the next attempt, decided by the one retry module.
const runTask = (sink: Sink, rows: SinkRow[], batch?: number, attempt = 1) =>
  withRetries((k) => runSinkTask(sink, schema, rows, batch, attempt + 10 * (k - 1)), {
    budgetMs: 60_000,
    maxRetries: 5,
  });
const text = (v: unknown): string => (isLosslessNumber(v) ? v.toString() : String(v));
const num = (v: unknown): number => (isLosslessNumber(v) ? Number(v.toString()) : Number(v));
const time = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : num(v));

/** One target of one kind: a fresh table, collection, key prefix, directory or topic. */
interface Target {
  sink(options?: Record<string, unknown>): Promise<Sink>;
  read(): Promise<Stored[]>;
  /** Prepares a server to refuse row 5 of `rows` (which it may change), and the sink options that go with it. */
  refuse?(rows: Record<string, unknown>[]): Promise<Record<string, unknown>>;
}

interface Kind {
  name: string;
  target(): Promise<Target>;
  /** The sink stores the checked row (false: it writes the transform's row as given). */
  checked: boolean;
}

const endpointsNow = () => endpoints();

const parquet: Kind = {
  name: 'parquet',
  checked: true,
  async target() {
    const dir = mkdtempSync(join(tmpdir(), 'krange-conf-'));
    return {
      sink: (o) =>
        createSink(parquetSinkSchema.parse({ kind: 'parquet', path: `file://${dir}`, ...o }), endpointsNow()),
      async read() {
        const files = readdirSync(dir).filter((f) => f.endsWith('.parquet'));
        if (files.length === 0) return [];
        const glob = `read_parquet('${dir}/*.parquet')`;
        const fields = (await query(`describe select * from ${glob}`))
          .map((c) => String(c['column_name']))
          .sort();
        const rows = await query(
          `select n, id::varchar as id, epoch_ms("at") as "at", note, to_json(tags)::varchar as tags, "name" from ${glob}`,
        );
        return rows.map((r) => ({
          n: num(r['n']),
          id: text(r['id']),
          at: num(r['at']),
          note: (r['note'] as string | null) ?? null,
          tags: JSON.parse(String(r['tags'])) as string[],
          name: String(r['name']),
          fields,
        }));
      },
    };
  },
};

let mongo: MongoClient;
const mongoDb = uniqueId('krange_conf');
const mongoKind: Kind = {
  name: 'mongo',
  checked: true,
  async target() {
    const collection = uniqueId('c');
    return {
      sink: (o) =>
        createSink(
          mongoSinkSchema.parse({ kind: 'mongo', database: mongoDb, collection, ...o }),
          endpointsNow(),
        ),
      async read() {
        const coll = mongo.db(mongoDb).collection(collection);
        const docs = await coll.find({}, { promoteLongs: false }).toArray();
        expect(await coll.countDocuments()).toBe(docs.length);
        return docs.map((d) => ({
          n: Number(d['n']),
          id: String(d['id']),
          at: (d['at'] as Date).getTime(),
          note: (d['note'] as string | null) ?? null,
          tags: d['tags'] as string[],
          name: String(d['name']),
          fields: Object.keys(d)
            .filter((k) => k !== '_id')
            .sort(),
        }));
      },
      async refuse(rows) {
        // A unique index the job declares: row 5 repeats row 4's name.
        (rows[5] as Record<string, unknown>)['name'] = 'n4';
        return { indexes: [{ keys: { name: 1 }, unique: true }] };
      },
    };
  },
};

const redisCli = (...args: string[]): string =>
  execFileSync('redis-cli', ['-u', endpoints().redisUrl, '--no-auth-warning', ...args], { encoding: 'utf8' });
const redisKind: Kind = {
  name: 'redis',
  checked: true,
  async target() {
    const prefix = uniqueId('krange_conf');
    let mode = 'set';
    return {
      sink: (o) => {
        mode = String(o?.['mode'] ?? 'set');
        return createSink(
          redisSinkSchema.parse({ kind: 'redis', mode: 'set', key: `${prefix}:{n}`, ...o }),
          endpointsNow(),
        );
      },
      async read() {
        const keys = redisCli('--scan', '--pattern', `${prefix}:*`).split('\n').filter(Boolean);
        const out: Stored[] = [];
        for (const key of keys) {
          if (redisCli('TYPE', key).trim() !== (mode === 'set' ? 'string' : 'hash')) continue;
          let o: Record<string, unknown>;
          if (mode === 'set') o = parse(redisCli('--raw', 'GET', key).trimEnd()) as Record<string, unknown>;
          else {
            const lines = redisCli('--raw', 'HGETALL', key).trimEnd().split('\n');
            o = {};
            for (let i = 0; i + 1 < lines.length; i += 2) o[lines[i] ?? ''] = lines[i + 1];
          }
          out.push({
            n: num(o['n']),
            id: text(o['id']),
            at: time(o['at']),
            note: (o['note'] as string | null | undefined) ?? null,
            tags:
              typeof o['tags'] === 'string' ? (JSON.parse(o['tags']) as string[]) : (o['tags'] as string[]),
            name: String(o['name']),
            fields: Object.keys(o).sort(),
          });
        }
        return out;
      },
      async refuse(rows) {
        // A key of another type where row 5's hash goes: WRONGTYPE.
        redisCli('RPUSH', `${prefix}:${String(rows[5]?.['n'])}`, 'a list');
        return { mode: 'hset' };
      },
    };
  },
};

const pgSchema = uniqueId('krange_conf');
const postgresKind: Kind = {
  name: 'postgres',
  checked: true,
  async target() {
    const table = uniqueId('t');
    return {
      sink: (o) =>
        createSink(
          postgresSinkSchema.parse({ kind: 'postgres', schema: pgSchema, table, ...o }),
          endpointsNow(),
        ),
      async read() {
        const [[json = 'null'] = []] = psql(
          `select json_agg(json_build_object('n', n, 'id', id::text, 'at', (extract(epoch from at) * 1000)::bigint,
                    'note', note, 'tags', tags, 'name', name))
           from ${pgSchema}.${table}`,
        );
        const cols = psql(
          `select column_name from information_schema.columns
           where table_schema = '${pgSchema}' and table_name = '${table}' order by column_name`,
        ).map((r) => r[0] ?? '');
        const rows = (JSON.parse(json) as Record<string, unknown>[] | null) ?? [];
        return rows.map((r) => ({
          n: num(r['n']),
          id: text(r['id']),
          at: num(r['at']),
          note: (r['note'] as string | null) ?? null,
          tags: r['tags'] as string[],
          name: String(r['name']),
          fields: cols,
        }));
      },
      async refuse(rows) {
        // A table made by hand, stricter than the schema.
        (rows[5] as Record<string, unknown>)['name'] = 'refuse me';
        psql(`create table ${pgSchema}.${table} (n integer not null, id bigint not null, at timestamptz not null,
                note text, tags text[] not null, name text not null check (name <> 'refuse me'))`);
        return {};
      },
    };
  },
};

const kafkaKind: Kind = {
  name: 'kafka',
  // The Kafka sink produces the JSON of the transform's row (int64 exact), fields the schema does
  // not declare included: the one sink that does not write the checked values.
  checked: false,
  async target() {
    const topic = uniqueName('conf-out');
    await createTopic(topic, 1);
    return {
      sink: (o) =>
        createSink(kafkaSinkSchema.parse({ kind: 'kafka', topic, ...o }), endpointsNow(), brokers()),
      async read() {
        const out = execFileSync(
          'kcat',
          ['-C', '-b', brokers().join(','), '-t', topic, '-X', 'isolation.level=read_committed', '-e', '-q'],
          { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        );
        return out
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const o = parse(l) as Record<string, unknown>;
            return {
              n: num(o['n']),
              id: text(o['id']),
              at: time(o['at']),
              note: (o['note'] as string | null) ?? null,
              tags: o['tags'] as string[],
              name: String(o['name']),
              fields: Object.keys(o).sort(),
            };
          });
      },
      async refuse(rows) {
        // A record over the sink's maxMessageBytes.
        (rows[5] as Record<string, unknown>)['name'] = 'x'.repeat(2000);
        return { maxMessageBytes: 1000 };
      },
    };
  },
};

const KINDS: Kind[] = [parquet, mongoKind, redisKind, postgresKind, kafkaKind];

const sinks: Sink[] = [];
async function open(target: Target, options?: Record<string, unknown>): Promise<Sink> {
  const s = await target.sink(options);
  sinks.push(s);
  return s;
}

beforeAll(async () => {
  // The Kafka sink's range markers are offset commits on the source partition: it must exist.
  sourceTopic = uniqueName('conf-src');
  await createTopic(sourceTopic, 1);
  mongo = await new MongoClient(endpoints().mongoUrl).connect();
  psql(`create schema ${pgSchema}`);
});

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
  await mongo
    ?.db(mongoDb)
    .dropDatabase()
    .catch(() => undefined);
  await mongo?.close();
  psql(`drop schema if exists ${pgSchema} cascade`);
});

describe.each(KINDS.map((k) => [k.name, k] as const))('sink %s', (_name, kind) => {
  it('writes every row of a task, and a replay of the same range writes nothing twice', async () => {
    const target = await kind.target();
    const rows = rowsOf(Array.from({ length: N }, (_, n) => input(n)));
    const first = await runTask(await open(target), rows, 7);
    expect(first.rows).toBe(N);
    expect((await target.read()).map((r) => r.n).sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
    // A retried attempt through the same sink, then a rerun through a new one (another worker).
    await runTask(await open(target), rows, 5, 2);
    await runTask(await open(target), rows, N, 3);
    const stored = await target.read();
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((r) => r.n)).size).toBe(N);
  });

  it(
    kind.checked
      ? 'stores the schema-checked values: int64 exact, instants, nulls, lists, declared fields only'
      : "stores the declared fields' values (int64 exact, instants, nulls, lists) and, as documented, the transform's other fields",
    async () => {
      const target = await kind.target();
      await runTask(await open(target), rowsOf(Array.from({ length: N }, (_, n) => input(n))));
      const stored = (await target.read()).sort(byN);
      if (kind.checked) {
        expect(stored).toEqual(Array.from({ length: N }, (_, n) => expected(n)));
        return;
      }
      // The Kafka sink produces the JSON of the transform's row as it is (README, `kafka()`): the
      // undeclared field reaches the topic beside the declared ones.
      expect(stored.every((r) => r.fields.includes('undeclared'))).toBe(true);
      const declared = stored.map((r) => ({ ...r, fields: r.fields.filter((f) => FIELDS.includes(f)) }));
      expect(declared).toEqual(Array.from({ length: N }, (_, n) => expected(n)));
    },
  );

  // Parquet has no server that refuses a checked row: the case exists for the other kinds only.
  if (kind.name !== 'parquet')
    it("a row its server refuses is a bad record of stage 'sink' under onBadRecord", async () => {
      // deadLetter: the other rows are written, the refused one goes to the dead-letter file.
      const target = await kind.target();
      const inputs = Array.from({ length: 10 }, (_, n) => input(n));
      const options = (await target.refuse?.(inputs)) ?? {};
      const rows = rowsOf(inputs);
      const dlDir = mkdtempSync(join(tmpdir(), 'krange-conf-dl-'));
      const policy: BadRecordPolicy = badRecordPolicySchema.parse({
        deadLetter: { path: `file://${dlDir}` },
      });
      const bad: BadRecord[] = [];
      const sink = await open(target, options);
      const w = await sink.open({ ...taskContext(schema, rows), reject: sinkRejection(policy, bad) });
      await w.write(rows);
      const stats = await w.commit();
      expect(stats.rows).toBe(9);
      expect((await target.read()).map((r) => r.n).sort((a, b) => a - b)).toEqual([
        0, 1, 2, 3, 4, 6, 7, 8, 9,
      ]);
      expect(bad.map((b) => [b.stage, b.topic, b.partition, b.offset])).toEqual([
        ['sink', sourceTopic, 0, '105'],
      ]);
      const noKafka = (): never => {
        throw new Error('no topic here');
      };
      const dl = deadLetterTarget(policy, noKafka, [], endpoints());
      await dl?.write('conformance', { topic: sourceTopic, partition: 0, begin: 100n, end: 110n }, bad);
      const dir = join(dlDir, 'conformance', sourceTopic, '0');
      const lines = readdirSync(dir).flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ topic: sourceTopic, partition: 0, offset: '105', stage: 'sink' });
      expect(JSON.parse(Buffer.from(String(lines[0]?.['value']), 'base64').toString())).toMatchObject({
        n: 5,
      });

      // 'fail': the task fails with KRANGE_BAD_RECORD naming the record.
      const failing = await kind.target();
      const again = Array.from({ length: 10 }, (_, n) => input(n));
      const failOptions = (await failing.refuse?.(again)) ?? {};
      const err = await runTask(await open(failing, failOptions), rowsOf(again)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isKrangeError(err, 'KRANGE_BAD_RECORD')).toBe(true);
      expect((err as Error).message).toContain(`${sourceTopic}[0]@105`);
    });
});
