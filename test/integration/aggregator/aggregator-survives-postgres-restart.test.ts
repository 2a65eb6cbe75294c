// PostgreSQL stopped and restarted under a running aggregator while events keep arriving: the
// aggregator stops taking batches while flushes fail (no crash, no restart loop), retries with
// backoff, resumes once the server is back, and the table still equals the ground truth.
//
// This stops the shared PostgreSQL: the integration project runs one file at a time
// (fileParallelism: false), and the server is restarted in `finally` even when the test fails.
// Commands: `scripts/services/postgres.sh stop|start` (the local stack), or KRANGE_TEST_PG_STOP /
// KRANGE_TEST_PG_START for another server; skipped only for servers it cannot control (given by
// KRANGE_* variables or started in Docker) when no such commands are given.

import { execSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  produceAgg,
  type RunnerHandle,
  rng,
  sql,
  startAggregator,
  stopAggregator,
  T0,
  waitCaughtUp,
  waitForEvent,
} from '../../helpers/aggregator.ts';

const STOP = process.env['KRANGE_TEST_PG_STOP'] ?? 'bash scripts/services/postgres.sh stop';
const START = process.env['KRANGE_TEST_PG_START'] ?? 'bash scripts/services/postgres.sh start';
// The local stack (what `make test` starts) is always controllable: there a failure to stop or
// start the server fails the test instead of skipping it.
const controllable =
  process.env['KRANGE_TEST_PG_STOP'] !== undefined || process.env['KRANGE_TEST_SERVERS'] === 'local';

let fixture: AggFixture | undefined;
let running: RunnerHandle | undefined;
afterEach(async () => {
  running?.child.kill('SIGKILL');
  if (fixture) await dropFixture(fixture);
  fixture = undefined;
  running = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  event?: string;
  flushFailing?: boolean;
  recordsPerSec?: number;
}

describe('aggregator', () => {
  it.skipIf(!controllable)(
    'pauses while PostgreSQL is down, resumes when it is back, loses nothing',
    async () => {
      const f = await aggFixture(3, {
        KRANGE_AGG_DELAY_MS: '10',
        KRANGE_AGG_FLUSH_MS: '100',
        KRANGE_AGG_STATS_MS: '300',
      });
      fixture = f;
      const random = rng(5);
      await produceAgg(f, genEvents(random, 6000, T0));
      running = startAggregator(f);
      await waitForEvent(running, 'aggregate.resumed');

      let producing = true;
      let t = T0 + 6000 * 37;
      const producer = (async () => {
        while (producing) {
          await produceAgg(f, genEvents(random, 300, t));
          t += 300 * 37;
          await sleep(150);
        }
      })();
      let stopped = false;
      try {
        await sleep(1500);
        execSync(STOP, { stdio: 'pipe' });
        stopped = true;
        await waitForEvent(running, 'aggregate.retry', 15_000, (l) => l['what'] === 'flush');
        await sleep(4000);
        // Still the same process: no crash, no restart loop.
        expect(running.child.exitCode).toBeNull();
        execSync(START, { stdio: 'pipe' });
        stopped = false;
        await waitForEvent(running, 'aggregate.recovered', 30_000);
        await sleep(1000);
      } finally {
        producing = false;
        await producer;
        if (stopped) execSync(START, { stdio: 'pipe' });
      }
      await waitCaughtUp(f);
      await stopAggregator(running);

      const lines = running
        .output()
        .split('\n')
        .flatMap((l): LogLine[] => (l.startsWith('{') ? [JSON.parse(l) as LogLine] : []));
      expect(lines.filter((l) => l.event === 'aggregate.started')).toHaveLength(1);
      // Backpressure: while flushes failed, no records were consumed.
      expect(
        lines.some((l) => l.event === 'aggregate.lag' && l.flushFailing === true && l.recordsPerSec === 0),
      ).toBe(true);
      await expectTableMatchesTruth(f);
      const [stats] = await sql<{ records: string }>(
        'SELECT sum(records)::text AS records FROM krange_stream_stats WHERE job = $1',
        [f.job],
      );
      expect(stats?.records).toBe(String(f.events.length));
    },
  );
});
