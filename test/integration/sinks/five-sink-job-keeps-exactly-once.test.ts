// The README's five-sink job (Parquet on HDFS, MongoDB, Redis, PostgreSQL, Kafka) through the CLI:
// after each iteration, and after a SIGKILL between the sinks' commits and krange's, HDFS (DuckDB),
// MongoDB, Redis, PostgreSQL (psql) and the output topic (kcat read_committed) hold every record
// once; the commit file records each sink's rows.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';
import { dropPgTable, expectKafkaExactlyOnce, expectPgExactlyOnce, psql } from '../../helpers/pg-kafka.ts';
import { uniqueId } from '../../helpers/sinks.ts';
import {
  dropThreeSinkData,
  expectThreeSinksExact,
  type ThreeSinkFixture,
  threeSinkFixture,
} from '../../helpers/three-sinks.ts';
import { until } from '../../helpers/until.ts';

const FIVE_SINKS_JOB = resolve('test/fixtures/jobs/five-sinks.ts');
let f: ThreeSinkFixture | undefined;
const table = uniqueId('krange_e2e');
afterAll(async () => {
  if (f) await dropThreeSinkData(f);
  dropPgTable(table);
});

describe('a job with five sinks', () => {
  it('writes Parquet, MongoDB, Redis, PostgreSQL and Kafka in one iteration, each record once, across a SIGKILL', async () => {
    const outTopic = uniqueName('out');
    await createTopic(outTopic, 3);
    f = await threeSinkFixture(3, {
      KRANGE_TEST_PG_TABLE: table,
      KRANGE_TEST_OUT_TOPIC: outTopic,
      KRANGE_TEST_MAX_PER_TASK: '1000',
    });
    const state = join(f.stateDir, f.job);
    const expectAll = async () => {
      await expectThreeSinksExact(f!);
      expectPgExactlyOnce(table, f!.payloads);
      expectKafkaExactlyOnce(outTopic, f!.payloads);
    };

    await produceEvents(f, 2500);
    const r = await cli(['run', FIVE_SINKS_JOB], f.env);
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    await expectAll();
    const commit = JSON.parse(readFileSync(join(state, 'commits', '0.json'), 'utf8'));
    const perSink = new Map<string, number>();
    for (const task of commit.tasks)
      for (const [name, s] of Object.entries(task.sinks as Record<string, { rows: number }>))
        perSink.set(name, (perSink.get(name) ?? 0) + s.rows);
    expect(Object.fromEntries(perSink)).toEqual({
      [`parquet:${f.env['KRANGE_TEST_OUT']}`]: 2500,
      [`mongo:${f.database}.events`]: 2500,
      [`redis:latest:${f.prefix}:{user}`]: 2500,
      [`postgres:public.${table}`]: 2500,
      [`kafka:${outTopic}`]: 2500,
    });

    // SIGKILL after every sink committed every task, before krange's commit; the next run resumes.
    await produceEvents(f, 1500);
    const markers = () =>
      Number(psql(`select count(*) from krange_loaded_ranges where target = 'public.${table}'`)[0]?.[0]);
    const before = markers();
    const run = startCli(['run', FIVE_SINKS_JOB], { ...f.env, KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000' });
    await until('iteration 1 loaded in PostgreSQL', () => markers() >= before + 2);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);
    const again = await cli(['run', FIVE_SINKS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed uncommitted plan/);
    await expectAll();
  });
});
