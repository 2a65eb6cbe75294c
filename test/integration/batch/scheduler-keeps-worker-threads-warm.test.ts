// `krange schedule` keeps each job's worker threads between its iterations: one pool is started for
// the job, every iteration with tasks names the same pool and the same thread ids in its
// schedule.tick line, and the pool is closed once when the daemon stops. The output of the
// iterations run on the warm threads is exactly once: per committed range, DuckDB counts exactly
// end - begin rows of that partition and offsets, and over all of them every payload once; and
// nothing is left under the output's _temporary. An iteration that fails closes its pool, and the
// next tick starts a new one (its generation one higher).
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { type LogLine, startDaemon } from '../../helpers/daemon.ts';
import { downloadParquet, hdfsClient, parquetGlob, query } from '../../helpers/duckdb.ts';
import { produce } from '../../helpers/kafka.ts';
import { readStateJson } from '../../helpers/state-files.ts';

interface Pool {
  generation: number;
  threadIds: number[];
}

const committed = (ls: LogLine[]): LogLine[] =>
  ls.filter((l) => l.event === 'schedule.tick' && l.status === 'committed');

describe('krange schedule with warm worker threads', () => {
  it('runs several iterations on the same threads, closes them on stop, and writes every record once', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 1000);
    const d = startDaemon([EVENTS_JOB, '--grace', '60', '--no-metrics'], {
      ...f.env,
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_TEST_WORKERS: '2',
    });
    try {
      for (let i = 0; i < 3; i++) {
        await d.until(`iteration ${i} committed`, (ls) => committed(ls).some((l) => l.iteration === i));
        await produceEvents(f, 1000);
      }
      await d.until(
        'every record committed',
        (ls) => committed(ls).reduce((s, l) => s + (l.records ?? 0), 0) === f.payloads.length,
      );
      d.child.kill('SIGTERM');
      expect((await d.done).code).toBe(0);

      const ticks = committed(d.lines);
      expect(ticks.length).toBeGreaterThanOrEqual(4);
      expect(d.events('schedule.failed')).toHaveLength(0);
      const pools = ticks.map((l) => l['pool'] as Pool);
      expect(pools[0]).toMatchObject({ generation: 1 });
      expect(pools[0]!.threadIds).toHaveLength(2);
      for (const p of pools) expect(p).toEqual(pools[0]);
      const started = d.events('pool.started');
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({ job: f.job, generation: 1, threadIds: pools[0]!.threadIds });
      const closed = d.events('pool.closed');
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({ generation: 1, reason: 'the scheduler stops' });
      expect(closed[0]!.time).toBeGreaterThan(ticks.at(-1)!.time);

      // Per committed range, exactly its offsets (DuckDB on the Parquet files, state files as written).
      const { local } = await downloadParquet(f.hdfsDir);
      const last = ticks.at(-1)!.iteration!;
      let sum = 0;
      for (let n = 0; n <= last; n++) {
        const commit = readStateJson(f, 'commits', `${n}.json`) as {
          ranges: { partition: number; begin: string; end: string }[];
        };
        for (const r of commit.ranges) {
          const [row] = await query(
            `select count(*)::bigint as n, count(distinct kafka_offset)::bigint as d from ${parquetGlob(local)}
             where kafka_partition = ${r.partition} and kafka_offset >= ${r.begin} and kafka_offset < ${r.end}`,
          );
          const want = Number(BigInt(r.end) - BigInt(r.begin));
          expect(Number(row?.['n']), `iteration ${n} partition ${r.partition}`).toBe(want);
          expect(Number(row?.['d'])).toBe(want);
          sum += want;
        }
      }
      expect(sum).toBe(f.payloads.length);
      await expectExactlyOnce(f);
      // Each commit removed what its tasks staged (the driver's clean-up after the commit).
      expect(await hdfsClient().getFileStatus(`${f.hdfsDir}/_temporary`)).toBeUndefined();
    } finally {
      d.child.kill('SIGKILL');
    }
  });

  it('closes the pool of an iteration that failed and starts the next one on new threads', async () => {
    const f = await batchFixture(1);
    await produceEvents(f, 200);
    const d = startDaemon([EVENTS_JOB, '--grace', '60', '--no-metrics'], {
      ...f.env,
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_TEST_WORKERS: '1',
    });
    try {
      await d.until('iteration 0 committed', (ls) => committed(ls).some((l) => l.iteration === 0));
      // A record the transform throws on, under onBadRecord 'fail': iteration 1 fails at every try.
      await produce(f.topic, [{ key: 'k', value: JSON.stringify({ id: -1, payload: 'THROW now' }) }]);
      await d.until(
        'a second try of iteration 1',
        (ls) => ls.filter((l) => l.event === 'schedule.failed' && l.iteration === 1).length >= 2,
      );
      d.child.kill('SIGTERM');
      expect((await d.done).code).toBe(0);
      const failed = d.events('schedule.failed').filter((l) => l.iteration === 1);
      expect(failed[0]).toMatchObject({ code: 'KRANGE_BAD_RECORD' });
      const closed = d.events('pool.closed');
      expect(closed[0]).toMatchObject({ generation: 1, reason: 'iteration 1 did not complete' });
      const started = d.events('pool.started');
      expect(started.map((l) => l['generation'])).toEqual(started.map((_, i) => i + 1));
      expect(started.length).toBeGreaterThanOrEqual(2);
      const [first, second] = started as [LogLine, LogLine];
      expect(second.time).toBeGreaterThan(closed[0]!.time);
      expect(second['threadIds']).not.toEqual(first['threadIds']);
      // Each generation ran its own iteration: the one committed on pool 1.
      expect(committed(d.lines)[0]!['pool']).toMatchObject({ generation: 1 });
    } finally {
      d.child.kill('SIGKILL');
    }
  });
});
