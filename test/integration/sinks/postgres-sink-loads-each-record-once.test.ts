// The PostgreSQL sink through the CLI: iterations load every record once; a SIGKILL while tasks
// load, and one after every task's transaction committed but before krange's commit, leave psql
// counting each record exactly once after the next run; a reset to an earlier offset (other task
// boundaries) loads only the records no marker covers.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import {
  dropPgTable,
  expectPgExactlyOnce,
  PG_KAFKA_JOB,
  type PgKafkaFixture,
  pgKafkaFixture,
  psql,
} from '../../helpers/pg-kafka.ts';
import { until } from '../../helpers/until.ts';

let f: PgKafkaFixture | undefined;
afterAll(() => {
  if (f) dropPgTable(f.table);
});

const markers = (table: string): number =>
  Number(psql(`select count(*) from krange_loaded_ranges where target = 'public.${table}'`)[0]?.[0]);

describe('the postgres sink', () => {
  it('loads every record exactly once across iterations, SIGKILLs and a reset', async () => {
    f = await pgKafkaFixture('postgres', 3, { KRANGE_TEST_MAX_PER_TASK: '700' });
    const state = join(f.stateDir, f.job);
    await produceEvents(f, 2000);
    const first = await cli(['run', PG_KAFKA_JOB], f.env);
    expect(first.stderr).not.toMatch(/"level":50/);
    expect(first.code).toBe(0);
    expectPgExactlyOnce(f.table, f.payloads);
    // Types 1:1: int64 as bigint, int32 as integer, utf8 as text, all NOT NULL.
    expect(
      psql(
        `select column_name, data_type, is_nullable from information_schema.columns where table_name = '${f.table}' order by ordinal_position`,
      ),
    ).toEqual([
      ['id', 'bigint', 'NO'],
      ['user', 'text', 'NO'],
      ['payload', 'text', 'NO'],
      ['kafka_partition', 'integer', 'NO'],
      ['kafka_offset', 'bigint', 'NO'],
    ]);
    const commit0 = JSON.parse(readFileSync(join(state, 'commits', '0.json'), 'utf8'));
    const loaded = commit0.tasks.reduce(
      (n: number, t: { sinks: Record<string, { rows: number }> }) =>
        n + (t.sinks[`postgres:public.${f!.table}`]?.rows ?? 0),
      0,
    );
    expect(loaded).toBe(2000);

    // 1. SIGKILL while tasks are loading: some ranges committed in PostgreSQL, the iteration not.
    await produceEvents(f, 3000);
    const before = markers(f.table);
    let run = startCli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '150' });
    await until('a task of iteration 1 loaded', () => markers(f!.table) > before);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);
    const plan1 = JSON.parse(readFileSync(join(state, 'offsets', '1.json'), 'utf8'));
    expect(markers(f.table) - before).toBeLessThan(plan1.tasks.length);

    // 2. SIGKILL after every task's transaction committed, before krange's commit.
    run = startCli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000' });
    await until('every task of iteration 1 loaded', () => markers(f!.table) === before + plan1.tasks.length);
    expectPgExactlyOnce(f.table, f.payloads);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);

    const again = await cli(['run', PG_KAFKA_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed uncommitted plan/);
    expectPgExactlyOnce(f.table, f.payloads);
    // The resumed tasks found their markers: nothing loaded twice, nothing counted twice.
    const commit1 = JSON.parse(readFileSync(join(state, 'commits', '1.json'), 'utf8'));
    for (const t of commit1.tasks) expect(t.sinks[`postgres:public.${f.table}`].rows).toBe(0);

    // 3. Reset to the beginning with other task boundaries, plus new records: only the new load.
    await produceEvents(f, 500);
    expect((await cli(['reset', PG_KAFKA_JOB, '--to', 'earliest', '--yes'], f.env)).code).toBe(0);
    const replay = await cli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_TEST_MAX_PER_TASK: '1100' });
    expect(replay.code).toBe(0);
    expectPgExactlyOnce(f.table, f.payloads);
  });
});
