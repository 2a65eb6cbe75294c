// Sinks: N events through krange jobs whose sink is MongoDB (bench/jobs/clicks-mongo.ts: upserts by
// event_id) or Redis (bench/jobs/clicks-redis.ts: SET per event), beside the raw limits from this
// host with the same documents: a plain insertMany loop (1000 per call; also two loops at once, as
// krange has two workers) and pipelined SETs (1000 per pipeline). Each result is counted back.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { ROOT, runKrange } from '../lib/engines.ts';
import { endpoints, waitForService } from '../lib/services.ts';
import { medianRun, summarize } from '../lib/stats.ts';
import type { TopicInfo } from '../lib/topics.ts';
import { stateForTail } from './scaling.ts';

export interface SinkBench {
  sink: 'mongo' | 'redis' | 'postgres' | 'kafka';
  records: number;
  skipped?: string;
  krange?: {
    wallMs: number;
    durationMs: number | undefined;
    perSec: number;
    perSecInProcess: number | undefined;
    counted: number;
  };
  raw?: { label: string; ms: number; perSec: number; counted: number }[];
  /** krange records/s of every repeat, and each raw limit's (the result shows the medians). */
  runsPerSec?: number[];
  rawRunsPerSec?: number[][];
}

/** Repeats of one sink's benchmark (krange, then its raw limits, alternating) folded into medians. */
export function combineSinkRuns(runs: SinkBench[]): SinkBench {
  const done = runs.filter((r) => r.krange !== undefined);
  if (done.length === 0) return runs[0]!;
  const mid = medianRun(done, (r) => r.krange!.perSec);
  const raw = (mid.raw ?? []).map((x, i) => {
    const all = done.map((r) => r.raw?.[i]?.perSec ?? Number.NaN);
    return { ...x, perSec: summarize(all).median };
  });
  return {
    ...mid,
    raw,
    runsPerSec: done.map((r) => r.krange!.perSec),
    rawRunsPerSec: raw.map((_x, i) => done.map((r) => r.raw?.[i]?.perSec ?? Number.NaN)),
  };
}

function doc(i: number): Record<string, unknown> {
  const e = clickEvent(i);
  return { _id: e.event_id, ...e, kafka_partition: i % 8, kafka_offset: i };
}

export async function krangeSink(
  job: string,
  info: TopicInfo,
  n: number,
  env: Record<string, string>,
): Promise<{ wallMs: number; durationMs: number | undefined }> {
  const allEnv = { KRANGE_CLICKSTREAM_TOPIC: info.topic, ...env };
  const stateDir = await stateForTail(job, info, n, allEnv);
  try {
    // A sink whose server stops answering must not hang the whole benchmark: 1 ms per record, 2 min at least.
    const timeoutMs = Math.max(120_000, n);
    const { run, outcome } = await runKrange({ job, stateDir, env: allEnv, timeoutMs });
    return { wallMs: run.wallMs, durationMs: outcome?.durationMs };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** A krange run's rates over `n` records, and what was counted back. */
export function krangeResult(
  k: { wallMs: number; durationMs: number | undefined },
  n: number,
  counted: number,
): NonNullable<SinkBench['krange']> {
  return {
    ...k,
    perSec: n / (k.wallMs / 1000),
    perSecInProcess: k.durationMs ? n / (k.durationMs / 1000) : undefined,
    counted,
  };
}

const BATCH = 1000;

export async function benchMongo(
  info: TopicInfo,
  n: number,
  runId: string,
  waitMs: number,
): Promise<SinkBench> {
  const job = join(ROOT, 'bench/jobs/clicks-mongo.ts');
  if (!existsSync(join(ROOT, 'src/sinks/mongo/mongo-sink.ts')))
    return { sink: 'mongo', records: n, skipped: 'src/sinks/mongo/mongo-sink.ts does not exist yet' };
  const down = await waitForService('mongo', waitMs);
  if (down) return { sink: 'mongo', records: n, skipped: down };
  const client = new MongoClient(endpoints.mongoUrl);
  await client.connect();
  const db = client.db('krange_bench');
  try {
    const coll = `clicks_${runId}`;
    const k = await krangeSink(job, info, n, { KRANGE_BENCH_COLLECTION: coll });
    const counted = await db.collection(coll).countDocuments();
    await db
      .collection(coll)
      .drop()
      .catch(() => undefined);
    process.stderr.write(
      `[bench] mongo sink: ${n} upserts in ${(k.wallMs / 1000).toFixed(1)} s, ${counted} documents\n`,
    );

    const raw: NonNullable<SinkBench['raw']> = [];
    for (const lanes of [1, 2]) {
      const name = `raw_${runId}_${lanes}`;
      const c = db.collection<Record<string, unknown> & { _id: string }>(name);
      let next = 0;
      let ms = 0;
      const lane = async (): Promise<void> => {
        for (let start = next++ * BATCH; start < n; start = next++ * BATCH) {
          const docs = [];
          for (let i = start; i < Math.min(n, start + BATCH); i++)
            docs.push(doc(i) as Record<string, unknown> & { _id: string });
          await c.insertMany(docs, { ordered: false });
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: lanes }, lane));
      ms = performance.now() - t0;
      const cnt = await c.countDocuments();
      await c.drop().catch(() => undefined);
      raw.push({
        label: `insertMany x${BATCH}, ${lanes} loop${lanes > 1 ? 's' : ''}`,
        ms,
        perSec: n / (ms / 1000),
        counted: cnt,
      });
      process.stderr.write(
        `[bench] mongo raw insertMany (${lanes}): ${(n / (ms / 1000)).toFixed(0)} docs/s\n`,
      );
    }
    return {
      sink: 'mongo',
      records: n,
      krange: krangeResult(k, n, counted),
      raw,
    };
  } finally {
    await client.close();
  }
}

async function deleteKeys(r: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) n += await r.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

export async function benchRedis(
  info: TopicInfo,
  n: number,
  runId: string,
  waitMs: number,
): Promise<SinkBench> {
  const job = join(ROOT, 'bench/jobs/clicks-redis.ts');
  if (!existsSync(join(ROOT, 'src/sinks/redis/redis-sink.ts')))
    return { sink: 'redis', records: n, skipped: 'src/sinks/redis/redis-sink.ts does not exist yet' };
  const down = await waitForService('redis', waitMs);
  if (down) return { sink: 'redis', records: n, skipped: down };
  const r = new Redis(endpoints.redisUrl);
  try {
    const prefix = `krange-bench:${runId}:job`;
    const k = await krangeSink(job, info, n, { KRANGE_BENCH_PREFIX: prefix });
    const counted = await deleteKeys(r, `${prefix}:*`);
    process.stderr.write(
      `[bench] redis sink: ${n} SETs in ${(k.wallMs / 1000).toFixed(1)} s, ${counted} keys\n`,
    );

    const rawPrefix = `krange-bench:${runId}:raw`;
    let ms = 0;
    for (let start = 0; start < n; start += BATCH) {
      const p = r.pipeline();
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const d = doc(i);
        p.set(`${rawPrefix}:${d['_id'] as string}`, JSON.stringify(d));
      }
      const t0 = performance.now();
      await p.exec();
      ms += performance.now() - t0;
    }
    const rawCounted = await deleteKeys(r, `${rawPrefix}:*`);
    process.stderr.write(`[bench] redis raw pipelined SET: ${(n / (ms / 1000)).toFixed(0)} SETs/s\n`);
    return {
      sink: 'redis',
      records: n,
      krange: krangeResult(k, n, counted),
      raw: [
        { label: `pipelined SET x${BATCH}, 1 connection`, ms, perSec: n / (ms / 1000), counted: rawCounted },
      ],
    };
  } finally {
    r.disconnect();
  }
}
