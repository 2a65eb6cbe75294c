// Fencing a zombie's final file moves (issue 13): a runner's tasks carry its lock generation and
// check it right before each Parquet rename. Here the job's lock is taken over (a newer generation
// claimed, as a driver that found this runner presumed gone would) while the run's tasks hold their
// complete temporary files just before renaming them: no file is renamed into place, the run fails
// with KRANGE_FENCED and commits nothing, and the next owner's run re-runs the plan and writes every
// record exactly once (DuckDB). Both ways a task writes Parquet: the JavaScript path (a transform)
// and the columnar path (a declarative job, DuckDB writes the files the sink then renames).

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { WebHdfsClient } from '../../../src/fs/webhdfs-client.ts';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { followCli } from '../../helpers/daemon.ts';
import { hdfsClient, listHdfs } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { hasStateFile, statePath } from '../../helpers/state-files.ts';
import { until } from '../../helpers/until.ts';

/** The closed (non-empty) Parquet files under a directory, recursively, with their lengths. */
async function closedParquet(client: WebHdfsClient, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await listHdfs(client, dir)).filter((p) => p.endsWith('.parquet'))) {
    const st = await client.getFileStatus(`${dir}/${f}`);
    if (st !== undefined && st.length > 0) out.push(f);
  }
  return out;
}

/** The events of produceEvents read declaratively: the columnar path applies (checked below). */
const DECLARATIVE = `{
  name: process.env.KRANGE_TEST_JOB,
  topics: [process.env.KRANGE_TEST_TOPIC],
  decoder: 'json',
  schema: { id: t.int64(), payload: t.utf8(), kafka_partition: t.int32(), kafka_offset: t.int64() },
  columns: { kafka_partition: { kafka: 'partition' }, kafka_offset: { kafka: 'offset' } },
  sinks: [parquet({ path: process.env.KRANGE_TEST_OUT })],
}`;

describe.each([
  ['a transform (JavaScript path)', () => EVENTS_JOB, false],
  ['a declarative job (columnar path)', () => writeJobFile('fenced-columnar', DECLARATIVE), true],
])('a task whose runner lost the lease, with %s', (_name, jobFile, columnar) => {
  it('renames nothing into place, fails with KRANGE_FENCED, and the new owner writes every record once', async () => {
    const EVENTS_JOB = jobFile();
    const f = await batchFixture(2);
    await produceEvents(f, 600);
    const client = hdfsClient();
    const run = followCli(['run', EVENTS_JOB], {
      ...f.env,
      KRANGE_TEST_WORKERS: '2',
      KRANGE_DEBUG_PAUSE_BEFORE_RENAME_MS: '8000',
      KRANGE_LOG_LEVEL: 'debug',
    });
    try {
      // Both tasks have uploaded their files and wait just before renaming them.
      await until(
        'two complete temporary files',
        async () => (await closedParquet(client, `${f.hdfsDir}/_temporary`)).length === 2,
        60_000,
      );
      const held = JSON.parse(readFileSync(statePath(f, 'lock.json'), 'utf8')) as { generation: number };
      // A newer owner claims the next generation (its own process since gone, as after a takeover).
      const gone = spawnSync('true').pid;
      const now = new Date().toISOString();
      writeFileSync(
        statePath(f, 'lock-generations', `${held.generation + 1}.json`),
        JSON.stringify({
          version: 1,
          generation: held.generation + 1,
          host: hostname(),
          pid: gone,
          pidStart: null,
          token: randomUUID(),
          acquiredAt: now,
          heartbeatAt: now,
          command: 'test: the newer owner',
        }),
      );
      const r = await run.done;
      expect(r.code).toBe(1);
      const failed = run.events('task.failed');
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.every((l) => l['code'] === 'KRANGE_FENCED')).toBe(true);
      expect(r.stderr).toContain('KRANGE_FENCED');
      expect(run.events('iteration.committed')).toHaveLength(0);
      expect(hasStateFile(f, 'commits', '0.json')).toBe(false);
      // Nothing was moved into place: every Parquet file left is under _temporary (or gone).
      const finals = (await listHdfs(client, f.hdfsDir)).filter(
        (p) => p.endsWith('.parquet') && !p.startsWith('_temporary'),
      );
      expect(finals).toEqual([]);
      // The path the tasks took is the one this case is about.
      if (columnar) {
        expect(run.events('task.columnar_declined')).toEqual([]);
        expect((await cli(['plan', EVENTS_JOB], f.env)).stdout).toContain('records: columnar path');
      }
    } finally {
      run.child.kill('SIGKILL');
    }

    // The next owner (its process gone, the claim is stale) takes generation g+2 and re-runs plan 0.
    const next = await cli(['run', EVENTS_JOB, '--json'], { ...f.env, KRANGE_TEST_WORKERS: '2' });
    expect(next.code, next.stderr).toBe(0);
    const outcome = JSON.parse(next.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(outcome).toMatchObject({ iteration: 0, status: 'committed', resumed: true, records: 600 });
    await expectExactlyOnce(f);
  });
});
