// The web console as a person uses it, in Debian's Chromium (playwright-core), against real
// services while the demo job and its aggregator run: the jobs table and its lag, live progress
// bars, the lag chart's data against the state files and Kafka, a Parquet file's schema, an action
// refused without the token and run with it, hostile job and topic names shown as text, and the
// aggregates page against PostgreSQL. Screenshots go to .test-artifacts/ (and to docs/ with
// KRANGE_DOCS_SCREENSHOTS=1, for the README).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StateStore } from '../../../src/state/state-store.ts';
import { launchChromium, pngVariety } from '../../helpers/browser.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { type ConsoleProcess, startConsole } from '../../helpers/console.ts';
import { createTopic, uniqueName, watermarks } from '../../helpers/kafka.ts';
import { until } from '../../helpers/until.ts';

const ARTIFACTS = resolve('.test-artifacts');
const TOKEN = 'console-test-token-0123456789';
const HOSTILE_JOB = '<img src=x onerror=window.__pwned=2>';
const HOSTILE_TOPIC = '<script>window.__pwned=3</script>';
const HOSTILE_DESCRIPTION = '<img src=x onerror="window.__pwned=1">';

interface Plan {
  ranges: { topic: string; partition: number; begin: string; end: string }[];
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  const png = await page.screenshot({ path, fullPage: true });
  expect(pngVariety(png), `${name}.png looks blank`).toBeGreaterThan(30);
  if (process.env['KRANGE_DOCS_SCREENSHOTS'] === '1') copyFileSync(path, resolve('docs', `${name}.png`));
}

describe('the console in a browser', () => {
  const topic = uniqueName('console-click');
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-console-state-'));
  const jobsDir = mkdtempSync(join(tmpdir(), 'krange-console-jobs-'));
  const table = `${uniqueName('console_agg').replace(/[^a-z0-9_]/g, '_')}`;
  const env: Record<string, string> = {
    KRANGE_STATE_DIR: stateDir,
    KRANGE_JOBS_DIR: jobsDir,
    KRANGE_CLICKSTREAM_TOPIC: topic,
    KRANGE_CLICKSTREAM_PATH: `webhdfs:///krange-test/${topic}`,
    KRANGE_CONSOLE_TOKEN: TOKEN,
  };
  const jobFile = join(jobsDir, 'clickstream.mts');
  let browser: BrowserContext;
  let web: ConsoleProcess;
  let aggregator: ReturnType<typeof startCli>;
  const read = <T>(kind: string, n: number): T =>
    JSON.parse(readFileSync(join(stateDir, 'clickstream', kind, `${n}.json`), 'utf8')) as T;

  beforeAll(async () => {
    // The demo job, with one worker and small tasks so that progress is visible, and its own table.
    writeFileSync(
      jobFile,
      `import demo from ${JSON.stringify(resolve('jobs/clickstream.ts'))};\n` +
        // 150 ms per 100 records: an iteration (tasks of up to 750) lasts long enough to be watched.
        `const pause = new Int32Array(new SharedArrayBuffer(4)); let seen = 0;\n` +
        `export default { ...demo, transform: (r) => { if (++seen % 100 === 0) Atomics.wait(pause, 0, 0, 150); return demo.transform(r); },\n` +
        `  limits: { ...demo.limits, workers: 1, maxRecordsPerTask: 750 },\n` +
        `  aggregate: { ...demo.aggregate, table: ${JSON.stringify(table)}, groupId: ${JSON.stringify(table)} } };\n`,
    );
    writeFileSync(
      join(jobsDir, 'hostile.mts'),
      `import demo from ${JSON.stringify(resolve('jobs/clickstream.ts'))};\n` +
        `export default { ...demo, name: 'hostile-description', description: ${JSON.stringify(HOSTILE_DESCRIPTION)}, aggregate: undefined };\n`,
    );
    // A job that exists only as state, named and reading a topic named like markup.
    const hostile = new StateStore(HOSTILE_JOB, stateDir);
    await hostile.ensureMetadata('0');
    const ranges = [{ topic: HOSTILE_TOPIC, partition: 0, begin: '0', end: '5' }];
    const now = new Date().toISOString();
    await hostile.writeOffsets({
      job: HOSTILE_JOB,
      iteration: 0,
      kind: 'run',
      plannedAt: now,
      schemaHash: '0',
      ranges,
      tasks: [],
      skipped: [],
    });
    await hostile.writeCommit({
      job: HOSTILE_JOB,
      iteration: 0,
      committedAt: now,
      ranges,
      durationMs: 1,
      records: 0,
      rows: 0,
      bytes: 0,
      badRecords: 0,
      tasks: [],
      skipped: [],
    });

    await createTopic(topic, 4);
    expect((await cli(['produce-demo', '-n', '6000', '-t', topic], env)).code).toBe(0);
    const first = await cli(['run', jobFile], env);
    expect(first.code, first.stderr).toBe(0);
    expect((await cli(['produce-demo', '-n', '6000', '-t', topic], env)).code).toBe(0);
    aggregator = startCli(['aggregate', jobFile, '--no-metrics'], env);
    web = await startConsole(env);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    aggregator?.child.kill('SIGTERM');
    await aggregator?.done;
  });

  it('shows jobs, lag, progress, files and aggregates, escapes user data, and guards actions', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // Jobs page: the demo job with its lag (Kafka log end - committed position, read independently).
    const plan0 = read<Plan>('offsets', 0);
    const ends = await watermarks(topic);
    const expectedLag = plan0.ranges.reduce(
      (s, r) => s + Number(ends.find((e) => e.partition === r.partition)!.high - BigInt(r.end)),
      0,
    );
    expect(expectedLag).toBe(6000);
    await page.goto(`${web.url}/`);
    const row = page.locator('tr[data-job="clickstream"]');
    await expect
      .poll(() => row.locator('td[data-lag]').getAttribute('data-lag'), { timeout: 30_000 })
      .toBe(String(expectedLag));
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 20_000 }).toBe('#0 committed');
    await expect
      .poll(() => row.locator('[data-health]').getAttribute('data-health'), { timeout: 20_000 })
      .toBe('amber');

    // Hostile names and descriptions are text, never markup.
    await expect
      .poll(() => page.locator(`tr[data-job="${HOSTILE_JOB}"]`).textContent(), { timeout: 20_000 })
      .toContain(HOSTILE_JOB);
    await expect
      .poll(() => page.locator('tr[data-job="hostile-description"]').textContent(), { timeout: 20_000 })
      .toContain(HOSTILE_DESCRIPTION);
    await expect.poll(() => page.locator('#jobs img').count(), { timeout: 20_000 }).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await shot(page, 'console-jobs');

    // The hostile job's page: its topic name shown as text.
    await page.goto(`${web.url}/jobs/${encodeURIComponent(HOSTILE_JOB)}`);
    await expect.poll(() => page.locator('#job-name').textContent(), { timeout: 20_000 }).toBe(HOSTILE_JOB);
    await expect
      .poll(() => page.locator('#lag-now').textContent(), { timeout: 20_000 })
      .toContain(HOSTILE_TOPIC);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect.poll(() => page.locator('main img, main script').count(), { timeout: 20_000 }).toBe(0);

    // Job page: the lag chart's data is each plan's backlog, then the lag now, per partition.
    await page.goto(`${web.url}/jobs/clickstream`);
    await page.waitForFunction(
      () => (globalThis as { krangeCharts?: Record<string, unknown> }).krangeCharts?.['lag'] !== undefined,
    );
    const lag = (await page.evaluate(
      () => (globalThis as unknown as { krangeCharts: Record<string, unknown> }).krangeCharts['lag'],
    )) as {
      x: number[];
      series: { label: string; values: (number | null)[] }[];
    };
    expect(lag.x).toHaveLength(2);
    for (const r of plan0.ranges) {
      const s = lag.series.find((q) => q.label === `${r.topic}:${r.partition}`)!;
      const high = ends.find((e) => e.partition === r.partition)!.high;
      expect(s.values).toEqual([Number(BigInt(r.end) - BigInt(r.begin)), Number(high - BigInt(r.end))]);
    }
    await expect
      .poll(() => page.locator('#timeline tr[data-iteration="0"]').textContent(), { timeout: 20_000 })
      .toContain('committed');
    // A file's schema and row count, read from HDFS.
    await page.locator('.file-link').first().click();
    await expect
      .poll(() => page.locator('#file-schema').textContent(), { timeout: 20_000 })
      .toContain('event_id');
    await expect
      .poll(() => page.locator('#confirm-body').textContent(), { timeout: 20_000 })
      .toContain(' rows,');
    await page.locator('#confirm-no').click();
    await expect.poll(() => page.locator('#plan-table').textContent(), { timeout: 20_000 }).toContain(topic);
    await shot(page, 'console-job');

    // An action without the token is refused, and nothing starts.
    await page.locator('#run-now').click();
    await page.locator('#confirm-yes').click();
    await expect
      .poll(() => page.locator('.notice.error').textContent(), { timeout: 20_000 })
      .toContain('needs the console token');
    expect(existsSync(join(stateDir, 'clickstream', 'offsets', '1.json'))).toBe(false);

    // With the token: the run starts and commits; the jobs page follows it.
    await page.fill('#token', TOKEN);
    await page.locator('#token').dispatchEvent('change');
    await page.locator('#run-now').click();
    await page.locator('#confirm-yes').click();
    await expect
      .poll(() => page.locator('.notice:not(.error)').textContent(), { timeout: 20_000 })
      .toContain('started krange run');
    await page.goto(`${web.url}/`);

    // Live progress: one bar per planned task, advancing while the iteration runs.
    type Bar = { id: string; state: string; records: number; planned: number };
    const bars = (): Promise<Bar[]> =>
      row.locator('.task-bar').evaluateAll((els) =>
        els.map((b) => ({
          id: b.getAttribute('data-task') ?? '',
          state: b.getAttribute('data-state') ?? '',
          records: Number(b.getAttribute('data-records')),
          planned: Number(b.getAttribute('data-planned')),
        })),
      );
    const sum = (bs: Bar[]): number => bs.reduce((s, b) => s + b.records, 0);
    const seen: Bar[][] = [];
    await until(
      'two observations of the running iteration, the second further on',
      async () => {
        const now = await bars();
        if (now.length > 0) seen.push(now);
        const first = seen.find((b) => sum(b) > 0);
        return first !== undefined && sum(now) > sum(first);
      },
      120_000,
      250,
    );
    await shot(page, 'console-jobs-running');
    const plan1 = read<Plan & { tasks: { id: string; begin: string; end: string }[] }>('offsets', 1);
    expect(plan1.tasks.length).toBeGreaterThan(4);
    for (const observed of seen) {
      expect(observed.map((b) => [b.id, b.planned])).toEqual(
        plan1.tasks.map((t) => [t.id, Number(BigInt(t.end) - BigInt(t.begin))]),
      );
    }
    // A bar moves within its task too, not only from empty to full.
    await until(
      'a task bar part-way',
      async () => {
        const now = await bars();
        if (now.length > 0) seen.push(now);
        if (
          seen.some((bs) => bs.some((b) => b.state === 'running' && b.records > 0 && b.records < b.planned))
        )
          return true;
        if (now.length === 0 && existsSync(join(stateDir, 'clickstream', 'commits', '1.json')))
          throw new Error('iteration 1 ended and no task bar was seen part-way');
        return false;
      },
      60_000,
      200,
    );
    // Counts never go backwards from one observation to the next (no retries here).
    for (let i = 1; i < seen.length; i++) {
      const before = new Map(seen[i - 1]!.map((b) => [b.id, b.records]));
      for (const b of seen[i]!)
        if (before.has(b.id)) expect(b.records).toBeGreaterThanOrEqual(before.get(b.id)!);
    }

    await until(
      'iteration 1 committed',
      () => existsSync(join(stateDir, 'clickstream', 'commits', '1.json')),
      120_000,
    );
    await expect
      .poll(() => row.locator('td[data-lag]').getAttribute('data-lag'), { timeout: 30_000 })
      .toBe('0');
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 20_000 }).toBe('#1 committed');

    // Aggregates page: once the aggregator caught up, the chart's clicks per country equal PostgreSQL's.
    const client = new pg.Client({ connectionString: inject('KRANGE_PG_URL') });
    await client.connect();
    try {
      await until(
        'the aggregator caught up',
        async () => {
          const r = await client
            .query<{ n: string }>(
              'SELECT coalesce(sum(next_offset), 0) AS n FROM krange_stream_offsets WHERE topic = $1',
              [topic],
            )
            .catch(() => ({ rows: [{ n: '0' }] }));
          return Number(r.rows[0]?.n) === 12000;
        },
        120_000,
        500,
      );
      await page.goto(`${web.url}/aggregates/clickstream`);
      await page.waitForFunction(
        () =>
          (globalThis as { krangeCharts?: Record<string, unknown> }).krangeCharts?.['windows-clicks'] !==
          undefined,
      );
      const chart = (await page.evaluate(
        () =>
          (globalThis as unknown as { krangeCharts: Record<string, unknown> }).krangeCharts['windows-clicks'],
      )) as { series: { label: string; values: number[] }[] };
      expect(chart.series.length).toBeGreaterThan(0);
      for (const s of chart.series) {
        const r = await client.query<{ n: string }>(
          `SELECT sum(clicks) AS n FROM ${table} WHERE country = $1`,
          [s.label],
        );
        expect(s.values.reduce((a, b) => a + b, 0)).toBe(Number(r.rows[0]?.n));
      }
      await expect
        .poll(() => page.locator('#agg-partitions tbody tr', { hasText: topic }).count(), { timeout: 20_000 })
        .toBe(4);
      // Each partition's stored offset as PostgreSQL holds it (cells read in order: topic, partition, offset).
      const stored = await client.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM krange_stream_offsets WHERE topic = $1',
        [topic],
      );
      const text = (await page.locator('#agg-partitions').textContent()) ?? '';
      for (const r of stored.rows) expect(text).toContain(`${topic}${r.partition}${r.next_offset}`);
      await shot(page, 'console-aggregates');
    } finally {
      await client.end();
    }
    expect(errors).toEqual([]);
  }, 400_000);
});
