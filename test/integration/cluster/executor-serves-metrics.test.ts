// `krange executor` serves /metrics on 127.0.0.1 like the other long-running commands: scraped while
// it holds a task (a busy worker thread) and after an iteration on the executors (tasks done, every
// thread idle), with its process metrics; the driver's progress file follows the executors' tasks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, produceEvents } from '../../helpers/batch.ts';
import { logLines, startCli } from '../../helpers/cli.ts';
import { type Sample, scrape, sum } from '../../helpers/prometheus.ts';
import { until } from '../../helpers/until.ts';

describe('krange executor /metrics', () => {
  const started: ReturnType<typeof startCli>[] = [];
  afterAll(() => {
    for (const e of started) e.child.kill('SIGKILL');
  });

  it('counts the tasks it ran and its busy threads, on 127.0.0.1', async () => {
    const f = await batchFixture(2, { KRANGE_TEST_MAX_PER_TASK: '1000', KRANGE_TEST_DELAY_MS: '600' });
    const e = startCli(['executor', EVENTS_JOB, '--threads', '2', '--metrics-port', '0'], f.env);
    started.push(e);
    let err = '';
    e.child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await until('the executor ready', () => logLines(err).some((l) => l.event === 'executor.ready'), 120_000);
    const url = logLines(err).find((l) => l.event === 'metrics.listening')?.['url'] as string | undefined;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const before = await scrape(url!);
    expect(sum(before, 'krange_executor_tasks_total', { job: f.job })).toBe(0);
    expect(sum(before, 'krange_worker_pool_workers', { job: f.job, state: 'idle' })).toBe(2);
    expect(sum(before, 'krange_process_cpu_seconds_total')).toBeGreaterThan(0);

    await produceEvents(f, 4000);
    const run = startCli(['run', EVENTS_JOB, '--executors', 'bullmq', '--json'], f.env);
    // While a task runs: a busy thread on the executor, and the driver's progress file moving.
    let busy: Sample[] = [];
    const progress: number[] = [];
    await until(
      'a busy thread and a task part-way in the progress file',
      async () => {
        const now = await scrape(url!);
        if (sum(now, 'krange_worker_pool_workers', { job: f.job, state: 'busy' }) > 0) busy = now;
        try {
          const p = JSON.parse(readFileSync(join(f.stateDir, f.job, 'progress.json'), 'utf8')) as {
            tasks: { records: number; planned: number }[];
          };
          progress.push(p.tasks.reduce((s, t) => s + t.records, 0));
        } catch {
          // not written yet, or gone
        }
        return busy.length > 0 && progress.some((n) => n > 0 && n < 4000);
      },
      120_000,
      100,
    );
    expect(sum(busy, 'krange_worker_pool_workers', { job: f.job, state: 'busy' })).toBeLessThanOrEqual(2);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'committed', iteration: 0, records: 4000 });

    const plan = JSON.parse(readFileSync(join(f.stateDir, f.job, 'offsets', '0.json'), 'utf8')) as {
      tasks: unknown[];
    };
    const after = await scrape(url!);
    expect(sum(after, 'krange_executor_tasks_total', { job: f.job, status: 'done' })).toBe(plan.tasks.length);
    expect(sum(after, 'krange_executor_tasks_total', { job: f.job, status: 'failed' })).toBe(0);
    expect(sum(after, 'krange_worker_pool_workers', { job: f.job, state: 'busy' })).toBe(0);
    expect(sum(after, 'krange_worker_pool_workers', { job: f.job, state: 'idle' })).toBe(2);

    e.child.kill('SIGTERM');
    expect((await e.done).code).toBe(0);
  });
});
