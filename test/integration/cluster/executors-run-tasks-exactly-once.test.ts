// executors: 'bullmq' with two `krange executor` processes: the driver's tasks run on them, every
// record lands exactly once; an executor SIGKILLed mid-task has its task re-run by the other
// (BullMQ's stalled-job detection), with nothing lost or doubled. Real Kafka, HDFS and Redis.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli, logLines, startCli } from '../../helpers/cli.ts';
import { until } from '../../helpers/until.ts';

interface Taken {
  task: string;
  iteration: number;
  attempt: number;
}

/** The executor's executor.task-taken events. */
function taken(stderr: string): Taken[] {
  return logLines(stderr).filter((l) => l.event === 'executor.task-taken') as unknown as Taken[];
}

const ready = (stderr: string) => logLines(stderr).some((l) => l.event === 'executor.ready');

describe('tasks on BullMQ executors', () => {
  const started: ReturnType<typeof startCli>[] = [];
  afterAll(() => {
    for (const e of started) e.child.kill('SIGKILL');
  });

  it("runs every task on the executors exactly once, and re-runs a killed executor's task on another", async () => {
    // Slow tasks (a pause every 500 records) so an executor can be killed while it holds one.
    const f = await batchFixture(3, { KRANGE_TEST_MAX_PER_TASK: '1000', KRANGE_TEST_DELAY_MS: '150' });
    const startExecutor = () => {
      const e = startCli(
        ['executor', EVENTS_JOB, '--threads', '1', '--lock-duration', '2000', '--stalled-interval', '1000'],
        f.env,
      );
      started.push(e);
      return e;
    };
    const stderr = (e: ReturnType<typeof startCli>) => {
      let s = '';
      e.child.stderr?.on('data', (d: Buffer) => {
        s += d.toString();
      });
      return () => s;
    };
    const a = startExecutor();
    const b = startExecutor();
    const aErr = stderr(a);
    const bErr = stderr(b);
    await until('both executors ready', () => ready(aErr()) && ready(bErr()));

    // 1. Every task of iteration 0 runs on an executor; the driver commits their results.
    await produceEvents(f, 6000);
    const run0 = await cli(['run', EVENTS_JOB, '--executors', 'bullmq', '--json'], f.env);
    expect(run0.code, run0.stderr).toBe(0);
    expect(JSON.parse(run0.stdout)).toMatchObject({ status: 'committed', iteration: 0, records: 6000 });
    const plan0 = JSON.parse(readFileSync(join(f.stateDir, f.job, 'offsets', '0.json'), 'utf8'));
    const commit0 = JSON.parse(readFileSync(join(f.stateDir, f.job, 'commits', '0.json'), 'utf8'));
    expect(commit0.records).toBe(6000);
    expect(commit0.tasks.map((t: { id: string }) => t.id).sort()).toEqual(
      plan0.tasks.map((t: { id: string }) => t.id).sort(),
    );
    const ran0 = [...taken(aErr()), ...taken(bErr())].filter((t) => t.iteration === 0);
    expect(ran0.map((t) => t.task).sort()).toEqual(plan0.tasks.map((t: { id: string }) => t.id).sort());
    // Both executors took part.
    expect(taken(aErr()).length).toBeGreaterThan(0);
    expect(taken(bErr()).length).toBeGreaterThan(0);
    await expectExactlyOnce(f);

    // 2. Executor A is killed while it holds a task of iteration 1: B re-runs it.
    await produceEvents(f, 6000);
    const run1 = startCli(['run', EVENTS_JOB, '--executors', 'bullmq', '--json'], f.env);
    await until('A holds a task of iteration 1', () => taken(aErr()).some((t) => t.iteration === 1));
    const killedTask = taken(aErr())
      .filter((t) => t.iteration === 1)
      .at(-1)?.task;
    a.child.kill('SIGKILL');
    expect((await a.done).signal).toBe('SIGKILL');
    const r1 = await run1.done;
    expect(r1.code, r1.stderr).toBe(0);
    expect(JSON.parse(r1.stdout)).toMatchObject({ status: 'committed', iteration: 1, records: 6000 });
    const rerunByB = taken(bErr()).filter((t) => t.iteration === 1 && t.task === killedTask);
    expect(rerunByB.length).toBe(1);
    expect(rerunByB[0]?.attempt).toBeGreaterThanOrEqual(2);
    await expectExactlyOnce(f);

    b.child.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
  });
});
