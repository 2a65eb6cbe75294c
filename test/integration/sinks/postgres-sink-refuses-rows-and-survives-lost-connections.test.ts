// Rows PostgreSQL refuses (value too long, check constraint, null in a NOT NULL column) follow the
// job's onBadRecord: under 'skip' they are reported with the column and the good rows of the same
// COPY batch are loaded; under 'fail' the task fails with KRANGE_BAD_RECORD and nothing is loaded.
// A connection lost mid-task, or a server that cannot be reached, fails the task with a retriable
// KRANGE_SINK and leaves nothing committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKrangeError, type KrangeError } from '../../../src/errors.ts';
import { postgresSinkSchema } from '../../../src/job/job-spec.ts';
import { type Schema, t } from '../../../src/job/schema.ts';
import { PostgresSink } from '../../../src/sinks/postgres/postgres-sink.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';
import { captureLog } from '../../helpers/log-capture.ts';
import { psql } from '../../helpers/pg-kafka.ts';
import { endpoints, runSinkTask, sinkRows, taskContext, uniqueId } from '../../helpers/sinks.ts';

const schemaName = uniqueId('krange_it');
const schema: Schema = { id: t.int64(), code: t.utf8(), qty: t.nullable(t.int32()) };
const sinks: PostgresSink[] = [];
function sink(options: Record<string, unknown> = {}, url = endpoints().pgUrl): PostgresSink {
  const s = new PostgresSink(
    postgresSinkSchema.parse({ kind: 'postgres', schema: schemaName, table: 'orders', ...options }),
    url,
  );
  sinks.push(s);
  return s;
}

async function failure(p: Promise<unknown>): Promise<KrangeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isKrangeError(err)) throw new Error(`expected a KrangeError, got ${String(err)}`);
  return err;
}

beforeAll(() => {
  // A table made by hand, stricter than the job's schema: code at most 5 characters, qty positive
  // and required.
  psql(`create schema ${schemaName};
        create table ${schemaName}.orders (id bigint not null, code varchar(5) not null,
          qty integer not null check (qty > 0))`);
});
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  psql(`drop schema if exists ${schemaName} cascade`);
});

const count = () => Number(psql(`select count(*) from ${schemaName}.orders`)[0]?.[0]);

describe('postgres sink refusals and outages', () => {
  it("under 'skip' reports each refused row with its column and loads the others", async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => ({
      offset: i,
      row: { id: i, code: `c${i}`, qty: 1 + i },
    }));
    inputs[7]!.row.code = 'too-long-code';
    inputs[20]!.row.qty = -3;
    inputs[33]!.row = { id: 33, code: 'ok', qty: null as unknown as number };
    const rows = sinkRows(schema, inputs);
    const refused: { offset: bigint; reason: string; field: string | undefined }[] = [];
    const ctx = {
      ...taskContext(schema, rows),
      reject: (r: SinkRow, reason: string, field?: string) =>
        refused.push({ offset: r.offset, reason, field }),
    };
    const w = await sink({ batchSize: 100 }).open(ctx);
    await w.write(rows);
    expect((await w.commit()).rows).toBe(37);
    expect(count()).toBe(37);
    expect(refused.map((r) => [r.offset, r.field])).toEqual([
      [7n, 'code'],
      [20n, undefined],
      [33n, 'qty'],
    ]);
    expect(refused[0]?.reason).toMatch(/value too long for type character varying\(5\)/);
    expect(refused[1]?.reason).toMatch(/orders_qty_check/);
    expect(refused[2]?.reason).toMatch(/null value in column "qty"/);
  });

  it("under 'fail' fails the task with KRANGE_BAD_RECORD naming the record and loads nothing", async () => {
    const before = count();
    const rows = sinkRows(schema, [
      { offset: 100, row: { id: 100, code: 'a', qty: 1 } },
      { offset: 101, row: { id: 101, code: 'abcdefgh', qty: 1 } },
    ]);
    const err = await failure(runSinkTask(sink(), schema, rows));
    expect(err.code).toBe('KRANGE_BAD_RECORD');
    expect(err.message).toMatch(/@101 field 'code'/);
    expect(count()).toBe(before);
  });

  it('fails with a retriable error when the connection is lost mid-task, committing nothing', async () => {
    const before = count();
    const rows = sinkRows(
      schema,
      Array.from({ length: 30 }, (_, i) => ({ offset: 200 + i, row: { id: 200 + i, code: 'x', qty: 1 } })),
    );
    const w = await sink({ batchSize: 10 }).open(taskContext(schema, rows));
    await w.write(rows.slice(0, 20));
    // The server drops the task's connection (as on a restart), without stopping the shared server.
    const killed = psql(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = 'krange postgres:${schemaName}.orders' and state = 'idle in transaction'`,
    );
    expect(killed).toEqual([['t']]);
    const err = await failure(
      (async () => {
        await w.write(rows.slice(20));
        return w.commit();
      })(),
    );
    await w.abort();
    expect(err.code).toBe('KRANGE_SINK');
    expect(err.retriable).toBe(true);
    expect(err.message).toMatch(/Nothing of the task was committed/);
    expect(count()).toBe(before);
    // The retry of the task loads the range once.
    expect((await runSinkTask(sink(), schema, rows)).rows).toBe(30);
    expect(count()).toBe(before + 30);
  });

  it('retries an unreachable server within its budget, then fails retriably', async () => {
    const log = captureLog();
    const unreachable = sink({ retries: 1 }, 'postgres://krange@127.0.0.1:1/krange');
    const err = await failure(runSinkTask(unreachable, schema, sinkRows(schema, []), 8192, 1, log.logger));
    expect(err.code).toBe('KRANGE_SINK');
    expect(err.retriable).toBe(true);
    expect(err.message).toMatch(/after 2 attempts.*KRANGE_PG_URL/);
    // The one retry before giving up is logged as sink.retry, naming the sink and the task.
    expect(log.events('sink.retry')).toEqual([
      expect.objectContaining({
        sink: unreachable.name,
        task: 't-0-0',
        attempt: 1,
        delayMs: expect.any(Number),
      }),
    ]);
  });
});
