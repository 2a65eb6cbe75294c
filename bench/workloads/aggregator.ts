// The streaming aggregator (`krange aggregate`, bench/jobs/clicks-agg.ts: the demo job's aggregate)
// as a separate process, observed from PostgreSQL, where it stores each partition's next offset in
// the same transaction as the window rows:
//   sustained: a backlog of N events (the W1 topic); records/s from its first committed flush until
//              every offset is stored (start-up and group join excluded, reported apart);
//   freshness: events produced live at a fixed rate (10k/s) with ts = now, one partition after
//              another; an event is fresh when its offset is stored (its window rows are visible in
//              the same commit); freshness = that moment - the start of its produce request, from
//              polling every 50 ms (so up to 50 ms high).

import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import clickstream from '../../jobs/clickstream.ts';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { defaultTable } from '../../src/job/aggregate/aggregate-plan.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { ROOT } from '../lib/engines.ts';
import { type Measured, type RunResult, startMeasured } from '../lib/proc-tree.ts';
import { endpoints, waitForService } from '../lib/services.ts';
import { medianRun, percentile } from '../lib/stats.ts';

const JOB_FILE = join(ROOT, 'bench/jobs/clicks-agg.ts');
const POLL_MS = 50;

export interface SustainedResult {
  records: number;
  /** From spawn to the first committed flush. */
  startupMs: number;
  /** From the first committed flush to the last offset stored. */
  drainMs: number;
  recordsPerSec: number;
  /** The first flush took the whole backlog, so the rate includes start-up (tiny backlogs). */
  startupIncluded: boolean;
  wallToDrainMs: number;
  peakRssBytes: number;
  /** CPU time (user + system) of the aggregator process, start-up and shutdown included, ms. */
  cpuMs: number;
  /** Sum of the count measure over the table, and the stats table's records: both must be N. */
  countedEvents: number;
  countedRecords: number;
}

export interface FreshnessResult {
  targetPerSec: number;
  achievedPerSec: number;
  seconds: number;
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Records not yet stored when the observation ended. */
  unresolved: number;
  peakRssBytes: number;
}

export interface AggregatorBench {
  skipped?: string;
  sustained?: SustainedResult;
  freshness?: FreshnessResult;
  /** Sustained records/s and p99 freshness of every repeat (the result shows the median runs). */
  runsRecordsPerSec?: number[];
  runsP99Ms?: number[];
}

/** `krange aggregate` of the bench job, from `root` (a copy of krange made by experiments/snapshot.sh, or this one). */
function startAggregator(
  job: string,
  topic: string,
  root = ROOT,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Measured {
  return startMeasured(process.execPath, [...nodeArgs, join(root, 'bin/krange.mjs'), 'aggregate', JOB_FILE], {
    cwd: root,
    env: {
      ...process.env,
      KRANGE_BENCH_AGG_JOB: job,
      KRANGE_CLICKSTREAM_TOPIC: topic,
      KRANGE_LOG_FORMAT: 'json',
      KRANGE_LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
  });
}

async function stop(m: Measured): Promise<RunResult> {
  if (m.child.exitCode === null) m.child.kill('SIGTERM');
  const timer = setTimeout(() => m.child.kill('SIGKILL'), 60_000);
  try {
    return await m.done;
  } finally {
    clearTimeout(timer);
  }
}

async function storedOffsets(db: pg.Client, job: string, topic: string): Promise<Map<number, bigint>> {
  const res = await db
    .query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM krange_stream_offsets WHERE job = $1 AND topic = $2',
      [job, topic],
    )
    .catch((err: { code?: string }) => {
      if (err.code === '42P01') return { rows: [] }; // the aggregator has not created its tables yet
      throw err;
    });
  return new Map(res.rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}

async function dropJob(db: pg.Client, job: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS "${defaultTable(job)}"`).catch(() => undefined);
  await db.query('DELETE FROM krange_stream_offsets WHERE job = $1', [job]).catch(() => undefined);
  await db.query('DELETE FROM krange_stream_stats WHERE job = $1', [job]).catch(() => undefined);
}

/** The demo aggregate's count measure (its column in the window table). */
function countMeasure(): string {
  const measures = clickstream.aggregate?.measures ?? {};
  return Object.entries(measures).find(([, m]) => m.op === 'count')?.[0] ?? 'clicks';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchSustained(
  db: pg.Client,
  topic: string,
  records: number,
  runId: string,
  /** Another krange checkout to run (an A/B experiment), and extra environment. */
  o: { root?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<SustainedResult> {
  const job = `bench_agg_${runId}_s`;
  await dropJob(db, job);
  const t0 = performance.now();
  const agg = startAggregator(job, topic, o.root, o.env, o.nodeArgs);
  let exited = false;
  void agg.done.then(() => (exited = true));
  let firstAt: number | undefined;
  let firstCount = 0;
  let doneAt: number | undefined;
  const deadline = t0 + Math.max(180_000, (records / 2000) * 1000);
  let run: RunResult;
  try {
    while (doneAt === undefined) {
      if (exited) {
        const r = await agg.done;
        throw new Error(
          `aggregator exited (${r.code ?? r.signal}):\n${r.stderr.split('\n').slice(-15).join('\n')}`,
        );
      }
      if (performance.now() > deadline) throw new Error('aggregator did not drain the backlog in time');
      const offs = await storedOffsets(db, job, topic);
      const consumed = [...offs.values()].reduce((s, v) => s + Number(v), 0);
      const now = performance.now();
      if (consumed > 0 && firstAt === undefined) {
        firstAt = now;
        firstCount = consumed;
      }
      if (consumed >= records) doneAt = now;
      else await sleep(POLL_MS);
    }
  } finally {
    run = await stop(agg);
  }
  const table = defaultTable(job);
  const counted = await db
    .query<{ n: string | null }>(`SELECT sum("${countMeasure()}")::text AS n FROM "${table}"`)
    .catch(() => ({ rows: [{ n: null }] }));
  const stats = await db.query<{ n: string | null }>(
    'SELECT sum(records)::text AS n FROM krange_stream_stats WHERE job = $1',
    [job],
  );
  await dropJob(db, job);
  // A backlog so small that the first flush took it all has no drain phase: rate over the wall time.
  const drained = doneAt > (firstAt ?? t0) && records > firstCount;
  const drainMs = drained ? doneAt - (firstAt ?? t0) : doneAt - t0;
  const result: SustainedResult = {
    records,
    startupMs: (firstAt ?? t0) - t0,
    drainMs,
    recordsPerSec: (drained ? records - firstCount : records) / (drainMs / 1000),
    startupIncluded: !drained,
    wallToDrainMs: doneAt - t0,
    peakRssBytes: run.peakRssBytes,
    cpuMs: run.cpuMs,
    countedEvents: Number(counted.rows[0]?.n ?? 0),
    countedRecords: Number(stats.rows[0]?.n ?? 0),
  };
  process.stderr.write(
    `[bench] aggregator sustained: ${result.recordsPerSec.toFixed(0)} rec/s (start-up ${(result.startupMs / 1000).toFixed(1)} s), counted ${result.countedEvents}\n`,
  );
  return result;
}

interface Pending {
  lastOffset: bigint;
  count: number;
  sentAt: number;
}

export async function benchFreshness(
  db: pg.Client,
  o: { perSec: number; seconds: number; runId: string; root?: string; env?: Record<string, string> },
): Promise<FreshnessResult> {
  const job = `bench_agg_${o.runId}_f`;
  const topic = `bench-agg-live-${o.runId}`;
  const partitions = 8;
  await dropJob(db, job);
  const kafka = createKafka({
    brokers: serviceEndpoints().kafkaBrokers,
    clientId: 'krange-bench-live',
    logger: pino({ level: 'error' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const agg = startAggregator(job, topic, o.root, o.env);
  const pending = new Map<number, Pending[]>(Array.from({ length: partitions }, (_, p) => [p, []]));
  const fresh: number[] = [];
  let i = 0;
  const send = async (n: number): Promise<void> => {
    const byPartition = new Map<number, { key: string; value: string; partition: number }[]>();
    const nowIso = new Date().toISOString();
    for (let k = 0; k < n; k++, i++) {
      const e = { ...clickEvent(i), ts: nowIso };
      const p = i % partitions;
      const list = byPartition.get(p) ?? [];
      list.push({ key: String(e.user_id), value: JSON.stringify(e), partition: p });
      byPartition.set(p, list);
    }
    const sentAt = performance.now();
    const meta = await producer.send({ topic, acks: -1, messages: [...byPartition.values()].flat() });
    for (const m of meta) {
      const count = byPartition.get(m.partition)?.length ?? 0;
      if (count === 0 || m.baseOffset === undefined) continue;
      pending.get(m.partition)!.push({ lastOffset: BigInt(m.baseOffset) + BigInt(count - 1), count, sentAt });
    }
  };
  const resolve = async (): Promise<number> => {
    const offs = await storedOffsets(db, job, topic);
    const now = performance.now();
    let left = 0;
    for (const [p, list] of pending) {
      const next = offs.get(p) ?? -1n;
      while (list.length > 0 && list[0]!.lastOffset < next) {
        const e = list.shift()!;
        for (let k = 0; k < e.count; k++) fresh.push(now - e.sentAt);
      }
      for (const e of list) left += e.count;
    }
    return left;
  };
  let run: RunResult;
  let produced = 0;
  let produceMs = 0;
  try {
    // Warm-up: wait until the aggregator has joined and stored a first flush.
    await send(partitions);
    const warmDeadline = performance.now() + 120_000;
    while ((await resolve()) > 0) {
      if (agg.child.exitCode !== null)
        throw new Error(`aggregator exited: ${(await agg.done).stderr.slice(-2000)}`);
      if (performance.now() > warmDeadline) throw new Error('the aggregator stored nothing within 120 s');
      await sleep(POLL_MS);
    }
    fresh.length = 0;
    // Measured phase: a send of perSec/10 events every 100 ms, on schedule; polling alongside.
    const tick = 100;
    const perTick = Math.round(o.perSec / (1000 / tick));
    const start = performance.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await resolve();
        await sleep(POLL_MS);
      }
    })();
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; k < (o.seconds * 1000) / tick; k++) {
      const due = start + k * tick;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const p = send(perTick).finally(() => inFlight.delete(p));
      inFlight.add(p);
      produced += perTick;
      if (inFlight.size > 20) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    produceMs = performance.now() - start;
    const endDeadline = performance.now() + 30_000;
    polling = false;
    await poller;
    while ((await resolve()) > 0 && performance.now() < endDeadline) await sleep(POLL_MS);
  } finally {
    run = await stop(agg);
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dropJob(db, job);
  }
  const unresolved = [...pending.values()].reduce((s, l) => s + l.reduce((a, e) => a + e.count, 0), 0);
  const result: FreshnessResult = {
    targetPerSec: o.perSec,
    achievedPerSec: produced / (produceMs / 1000),
    seconds: o.seconds,
    records: produced,
    p50Ms: percentile(fresh, 50),
    p99Ms: percentile(fresh, 99),
    maxMs: percentile(fresh, 100),
    unresolved,
    peakRssBytes: run.peakRssBytes,
  };
  process.stderr.write(
    `[bench] aggregator freshness at ${result.achievedPerSec.toFixed(0)} rec/s: p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms\n`,
  );
  return result;
}

export async function benchAggregator(o: {
  backlogTopic: string;
  backlogRecords: number;
  freshPerSec: number;
  freshSeconds: number;
  runId: string;
  /** How long to wait for PostgreSQL to answer. */
  waitMs: number;
}): Promise<AggregatorBench> {
  const down = await waitForService('postgres', o.waitMs);
  if (down) return { skipped: down };
  const db = new pg.Client({ connectionString: endpoints.pgUrl });
  await db.connect();
  try {
    const sustained = await benchSustained(db, o.backlogTopic, o.backlogRecords, o.runId);
    const freshness = await benchFreshness(db, {
      perSec: o.freshPerSec,
      seconds: o.freshSeconds,
      runId: o.runId,
    });
    return { sustained, freshness };
  } finally {
    await db.end();
  }
}

/** Repeats of the aggregator benchmark folded into the median runs. */
export function combineAggregatorRuns(runs: AggregatorBench[]): AggregatorBench {
  const sustained = runs.flatMap((r) => (r.sustained ? [r.sustained] : []));
  const freshness = runs.flatMap((r) => (r.freshness ? [r.freshness] : []));
  const first = runs[0]!;
  return {
    ...first,
    ...(sustained.length > 0 ? { sustained: medianRun(sustained, (s) => s.recordsPerSec) } : {}),
    ...(freshness.length > 0 ? { freshness: medianRun(freshness, (f) => f.p99Ms) } : {}),
    runsRecordsPerSec: sustained.map((s) => s.recordsPerSec),
    runsP99Ms: freshness.map((f) => f.p99Ms),
  };
}
