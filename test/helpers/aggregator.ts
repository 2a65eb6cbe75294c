// Shared set-up for the aggregator's integration tests: a unique topic and job (so a unique table
// and offsets), deterministic events, the ground truth computed here from the produced events
// (independently of src/aggregator), the PostgreSQL table read back in the same shape, and the
// aggregator as a child process that tests may SIGKILL, or in this process.

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { expect } from 'vitest';
import { type AggregatorOptions, runAggregator } from '../../src/aggregator/aggregator.ts';
import { rand } from '../../src/demo/clickstream-events.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { type LoadedJob, validateJob } from '../../src/job/job-loader.ts';
import { createLogger } from '../../src/logger.ts';
import { makeAggJob } from '../fixtures/jobs/agg-events.ts';
import { createTopic, produce, uniqueName, watermarks, withAdmin } from './kafka.ts';

export const AGG_JOB = resolve('test/fixtures/jobs/agg-events.ts');
const RUNNER = resolve('test/fixtures/aggregator-runner.ts');

export interface AggEvent {
  user: string;
  page: string;
  country: string;
  ts: number;
  amount: number;
  /** Explicit partition (else keyed by user). */
  partition?: number;
}

export interface AggFixture {
  topic: string;
  job: string;
  table: string;
  partitions: number;
  env: Record<string, string>;
  events: AggEvent[];
}

export function pgUrl(): string {
  return process.env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange';
}

export async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: pgUrl(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export async function aggFixture(partitions = 3, env: Record<string, string> = {}): Promise<AggFixture> {
  const topic = uniqueName('agg');
  const job = uniqueName('agg').replace('-', '_');
  await createTopic(topic, partitions);
  return {
    topic,
    job,
    table: `${job}_agg`,
    partitions,
    events: [],
    env: {
      KRANGE_AGG_TOPIC: topic,
      KRANGE_AGG_JOB: job,
      KRANGE_AGG_SESSION_MS: '6000',
      KRANGE_AGG_HEARTBEAT_MS: '500',
      ...env,
    },
  };
}

/** Tests isolate by name; this drops what a test created so reruns do not accumulate. */
export async function dropFixture(f: AggFixture, extraTopics: string[] = []): Promise<void> {
  await sql(`DROP TABLE IF EXISTS "${f.table}"`).catch(() => undefined);
  await sql('DELETE FROM krange_stream_offsets WHERE job = $1', [f.job]).catch(() => undefined);
  await sql('DELETE FROM krange_stream_stats WHERE job = $1', [f.job]).catch(() => undefined);
  await withAdmin((a) => a.deleteTopics({ topics: [f.topic, ...extraTopics] })).catch(() => undefined);
  await withAdmin((a) => a.deleteGroups([`krange-agg-${f.job}`])).catch(() => undefined);
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
export const rng = rand;

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** n events from `start`, time moving ~stepMs per event with jitter: none late under an hour of lateness. */
export function genEvents(random: () => number, n: number, start: number, stepMs = 37): AggEvent[] {
  const pages = ['/', '/a', '/b', '/c', '/cart', '/pay', '/help'];
  const countries = ['FR', 'DE', 'US', 'JP'];
  const out: AggEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      user: `u${Math.floor(random() * 60)}`,
      page: pages[Math.floor(random() * pages.length)]!,
      country: countries[Math.floor(random() * countries.length)]!,
      ts: start + i * stepMs + Math.floor(random() * 20_000) - 10_000,
      amount: Math.floor(random() * 2000) - 500,
    });
  }
  return out;
}

export async function produceAgg(f: AggFixture, events: AggEvent[]): Promise<void> {
  f.events.push(...events);
  await produce(
    f.topic,
    events.map((e) => ({
      key: e.user,
      value: JSON.stringify({ user: e.user, page: e.page, country: e.country, ts: e.ts, amount: e.amount }),
      ...(e.partition === undefined ? {} : { partition: e.partition }),
    })),
  );
}

export interface TableRow {
  ws: string;
  we: string;
  page: string;
  country: string;
  events: string;
  amount_sum: string;
  amount_min: string;
  amount_max: string;
  users: string;
  users_set: string[];
  first_ts: string;
}

/**
 * The expected table from the events, written from the spec, not from src/aggregator: hopping
 * windows aligned to the epoch, and an event is late when older than (max event time seen in its
 * partition, in offset order) - lateness. Events come with their partition, in offset order.
 */
export function groundTruth(
  events: { e: AggEvent; partition: number }[],
  w: { size: number; slide: number; lateness: number },
): { rows: TableRow[]; late: number } {
  const rows = new Map<string, { r: TableRow; users: Set<string> }>();
  const maxByPartition = new Map<number, number>();
  let late = 0;
  for (const { e, partition } of events) {
    const max = maxByPartition.get(partition);
    if (max !== undefined && e.ts < max - w.lateness) {
      late++;
      continue;
    }
    maxByPartition.set(partition, Math.max(max ?? e.ts, e.ts));
    const first = Math.floor(e.ts / w.slide) * w.slide;
    for (let s = first; s > e.ts - w.size; s -= w.slide) {
      const key = `${s}|${e.page}|${e.country}`;
      let x = rows.get(key);
      if (x === undefined) {
        x = {
          r: {
            ws: String(s),
            we: String(s + w.size),
            page: e.page,
            country: e.country,
            events: '0',
            amount_sum: '0',
            amount_min: String(e.amount),
            amount_max: String(e.amount),
            users: '0',
            users_set: [],
            first_ts: String(e.ts),
          },
          users: new Set(),
        };
        rows.set(key, x);
      }
      const r = x.r;
      r.events = String(Number(r.events) + 1);
      r.amount_sum = String(Number(r.amount_sum) + e.amount);
      r.amount_min = String(Math.min(Number(r.amount_min), e.amount));
      r.amount_max = String(Math.max(Number(r.amount_max), e.amount));
      r.first_ts = String(Math.min(Number(r.first_ts), e.ts));
      x.users.add(e.user);
    }
  }
  const out = [...rows.values()].map(({ r, users }) => ({
    ...r,
    users: String(users.size),
    users_set: [...users].sort(),
  }));
  return { rows: sortRows(out), late };
}

function sortRows(rows: TableRow[]): TableRow[] {
  return rows.sort(
    (a, b) =>
      Number(a.ws) - Number(b.ws) || a.page.localeCompare(b.page) || a.country.localeCompare(b.country),
  );
}

export async function readTable(f: AggFixture): Promise<TableRow[]> {
  const rows = await sql<TableRow>(
    `SELECT (extract(epoch FROM window_start) * 1000)::bigint::text AS ws, (extract(epoch FROM window_end) * 1000)::bigint::text AS we,
       page, country, events::text, amount_sum::text, amount_min::text, amount_max::text, users::text, users_set,
       (extract(epoch FROM first_ts) * 1000)::bigint::text AS first_ts
     FROM "${f.table}"`,
  );
  return sortRows(rows.map((r) => ({ ...r, users_set: [...r.users_set].sort() })));
}

/** Waits until PostgreSQL holds, for every partition, a next offset equal to Kafka's high watermark. */
export async function waitCaughtUp(f: AggFixture, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const marks = await watermarks(f.topic);
  for (;;) {
    const stored = await sql<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset::text AS next_offset FROM krange_stream_offsets WHERE job = $1 AND topic = $2',
      [f.job, f.topic],
    ).catch(() => []);
    const done = marks.every(
      (m) => stored.find((s) => s.partition === m.partition)?.next_offset === m.high.toString(),
    );
    if (done) return;
    if (Date.now() > deadline) {
      throw new Error(
        `not caught up after ${timeoutMs} ms: stored ${JSON.stringify(stored)}, high ${marks.map((m) => `${m.partition}:${m.high}`).join(' ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function storedLag(f: AggFixture): Promise<bigint> {
  const marks = await watermarks(f.topic);
  const stored = await sql<{ partition: number; next_offset: string }>(
    'SELECT partition, next_offset::text AS next_offset FROM krange_stream_offsets WHERE job = $1 AND topic = $2',
    [f.job, f.topic],
  ).catch(() => []);
  return marks.reduce(
    (n, m) => n + m.high - BigInt(stored.find((s) => s.partition === m.partition)?.next_offset ?? m.low),
    0n,
  );
}

export interface RunnerHandle {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startAggregator(f: AggFixture, env: Record<string, string> = {}): RunnerHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, AGG_JOB], {
    env: {
      ...process.env,
      // Tests wait for info lines (assignment, resumption), whatever level the test run logs at.
      KRANGE_LOG_LEVEL: 'info',
      KRANGE_LOG_FORMAT: 'json',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...f.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
  });
  return { child, output: () => out, exited };
}

/** The child's structured log lines so far. */
export function aggregatorEvents(h: RunnerHandle): { event?: string; [k: string]: unknown }[] {
  return h
    .output()
    .split('\n')
    .flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l) as { event?: string }];
      } catch {
        return [];
      }
    });
}

/** Waits until the child logged the event `event` (see src/log-events.ts), optionally matching `where`. */
export async function waitForEvent(
  h: RunnerHandle,
  event: string,
  timeoutMs = 30_000,
  where: (line: Record<string, unknown>) => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!aggregatorEvents(h).some((l) => l.event === event && where(l))) {
    if (Date.now() > deadline)
      throw new Error(`no ${event} event within ${timeoutMs} ms; output:\n${h.output().slice(-4000)}`);
    if (h.child.exitCode !== null)
      throw new Error(
        `aggregator exited (${h.child.exitCode}) before logging ${event}:\n${h.output().slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopAggregator(h: RunnerHandle): Promise<void> {
  if (h.child.exitCode !== null || h.child.signalCode !== null) return;
  h.child.kill('SIGTERM');
  const r = await h.exited;
  expect(r.code, h.output().slice(-4000)).toBe(0);
}

/**
 * The table equals the ground truth of every event produced. Events without an explicit partition
 * are keyed: with the default hour of lateness none of them can be late, so their partition and
 * order do not matter; tests of lateness produce to explicit partitions, in order.
 */
export async function expectTableMatchesTruth(
  f: AggFixture,
  w = { size: 60_000, slide: 20_000, lateness: 3_600_000 },
): Promise<void> {
  const truth = groundTruth(
    f.events.map((e) => ({ e, partition: e.partition ?? -1 })),
    w,
  );
  const table = await readTable(f);
  expect(truth.rows.length).toBeGreaterThan(0);
  expect(table.length).toBe(truth.rows.length);
  expect(table).toEqual(truth.rows);
}

/** The fixture's job as the CLI loads it (its spec validated from the fixture's environment). */
export function aggJob(f: AggFixture): LoadedJob {
  return {
    spec: validateJob(makeAggJob(f.env), AGG_JOB),
    modulePath: AGG_JOB,
    endpoints: serviceEndpoints(),
  };
}

/**
 * The aggregator of the fixture's job in this process, with short group timings (a test's member
 * joins and its partitions move fast); logs as `test` unless given a logger.
 */
export function runAggregatorHere(
  f: AggFixture,
  test: string,
  opts: Omit<AggregatorOptions, 'job' | 'logger'> & { logger?: Logger } = {},
): Promise<void> {
  const { logger, ...rest } = opts;
  return runAggregator({
    job: aggJob(f),
    logger: logger ?? createLogger('aggregate-test').child({ test }),
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    ...rest,
  });
}
