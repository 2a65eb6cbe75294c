// A NameNode that is down for longer than the old retry budget (3 WebHDFS retries, about 28 s with
// the pool's re-attempts) and then restarts: the iteration waits it out within the time budget
// (retry.budgetMs / KRANGE_RETRY_BUDGET_MS, default 120 s) and commits every record exactly once
// (DuckDB over the files). Twice: HDFS down before the run (the driver's `_temporary` clean-up is
// the first call to wait) and HDFS stopped while the tasks write their files.
//
// A PRIVATE HDFS (test/helpers/private-hdfs.ts: own service directory and ports) is stopped and
// started; the shared HDFS the other tests use is never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchFixture,
  batchFixture,
  EVENTS_JOB,
  expectExactlyOnce,
  produceEvents,
} from '../../helpers/batch.ts';
import { logLines, startCli } from '../../helpers/cli.ts';
import { type PrivateHdfs, startPrivateHdfs } from '../../helpers/private-hdfs.ts';
import { until } from '../../helpers/until.ts';

/** Longer than the ~28 s after which the old WebHDFS client and pool gave up. */
const DOWN_MS = 40_000;

let hdfs: PrivateHdfs;
let f: BatchFixture;

beforeAll(async () => {
  hdfs = await startPrivateHdfs();
}, 300_000);

afterAll(async () => {
  await hdfs?.destroy();
}, 120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one iteration with `outage` happening meanwhile; returns the run's log lines. */
async function runThrough(outage: (stderr: () => string) => Promise<void>) {
  const { child, done } = startCli(['run', EVENTS_JOB], f.env);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  const started = Date.now();
  await outage(() => stderr);
  // The run must still be waiting: it could not have finished while the NameNode was down.
  expect(exited, stderr).toBe(false);
  await hdfs.start();
  const r = await done;
  expect(r.code, r.stderr).toBe(0);
  expect(Date.now() - started).toBeGreaterThan(DOWN_MS);
  return logLines(r.stderr);
}

describe('a NameNode restart longer than the old retry budget', () => {
  it('is waited out when HDFS is down before the run: the _temporary clean-up and the tasks wait', async () => {
    f = await batchFixture(3, {});
    f.env['KRANGE_TEST_OUT'] = hdfs.location(f.hdfsDir);
    await produceEvents(f, 3000);
    const lines = await runThrough(async () => {
      await hdfs.stop();
      await sleep(DOWN_MS);
    });
    expect(lines.some((l) => l.event === 'iteration.committed')).toBe(true);
    await expectExactlyOnce(f, f.payloads, hdfs.client());
  }, 400_000);

  it('is waited out when the NameNode stops while the tasks write their files', async () => {
    await produceEvents(f, 3000);
    // Slow tasks (3 s per 500 records) so the outage lands while their files are being written.
    f.env['KRANGE_TEST_DELAY_MS'] = '3000';
    const lines = await runThrough(async (stderr) => {
      await until('iteration 1 planned', () =>
        logLines(stderr()).some((l) => l.event === 'iteration.planned' && l['iteration'] === 1),
      );
      await sleep(1000);
      await hdfs.stop();
      await sleep(DOWN_MS);
    });
    expect(lines.some((l) => l.event === 'iteration.committed' && l['iteration'] === 1)).toBe(true);
    await expectExactlyOnce(f, f.payloads, hdfs.client());
  }, 400_000);
});
