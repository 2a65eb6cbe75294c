// Scaling: `krange run` of the demo job over the last N events of one topic (N = 0.5M .. 4M), each
// size repeated (median run reported, peak RSS the highest of all), each run a cold process with a fresh state directory positioned by `krange reset` (not timed): wall time,
// and the peak RSS of the whole process tree (worker threads are in the process; children summed).

import { rmSync } from 'node:fs';
import { freshStateDir, resetKrange, runKrange } from '../lib/engines.ts';
import { checkHdfsParquet } from '../lib/parquet-check.ts';
import { webhdfs } from '../lib/services.ts';
import { medianRun } from '../lib/stats.ts';
import { ensureDemoTopic, type TopicInfo } from '../lib/topics.ts';

export interface ScalingPoint {
  records: number;
  wallMs: number;
  inProcessMs: number | undefined;
  recordsPerSec: number;
  peakRssBytes: number;
  peakMainRssBytes: number;
  rowsChecked: number;
  /** Wall time of every repeat (the point reports the median run; peak RSS is the highest of all). */
  runsWallMs?: number[];
}

export interface ScalingResult {
  topic: string;
  points: ScalingPoint[];
  checksOk: boolean;
}

/** Start offsets that leave exactly `n` records, shared by the partitions in proportion to their size. */
export function tailOffsets(info: TopicInfo, n: number): Map<number, bigint> {
  const sizes = info.partitions.map((p) => Number(p.high - p.low));
  const total = sizes.reduce((a, b) => a + b, 0);
  const take = sizes.map((s) => Math.floor((s * n) / total));
  let missing = n - take.reduce((a, b) => a + b, 0);
  for (let i = 0; missing > 0; i = (i + 1) % take.length) {
    if (take[i]! < sizes[i]!) {
      take[i]!++;
      missing--;
    }
  }
  return new Map(info.partitions.map((p, i) => [p.partition, p.high - BigInt(take[i]!)]));
}

/** A fresh state dir whose next `krange run` of `job` reads the last `n` records of the topic. */
export async function stateForTail(
  job: string,
  info: TopicInfo,
  n: number,
  env: Record<string, string>,
): Promise<string> {
  const stateDir = freshStateDir();
  if (n < info.records) await resetKrange({ job, stateDir, env }, info.topic, tailOffsets(info, n));
  return stateDir;
}

export async function benchScaling(o: {
  sizes: number[];
  runId: string;
  repeats: number;
}): Promise<ScalingResult> {
  const max = Math.max(...o.sizes);
  const topic = `bench-clicks-${max}`;
  const info = await ensureDemoTopic(topic, max, 8);
  const hdfs = webhdfs();
  const points: ScalingPoint[] = [];
  for (const n of o.sizes) {
    const runs: ScalingPoint[] = [];
    for (let rep = 0; rep < o.repeats; rep++) {
      const path = `/bench/${o.runId}/scaling-${n}-${rep}`;
      const env = { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` };
      const stateDir = await stateForTail('clickstream', info, n, env);
      const { run, outcome } = await runKrange({ job: 'clickstream', stateDir, env });
      const check = await checkHdfsParquet(path);
      await hdfs.delete(path, { recursive: true });
      rmSync(stateDir, { recursive: true, force: true });
      runs.push({
        records: n,
        wallMs: run.wallMs,
        inProcessMs: outcome?.durationMs,
        recordsPerSec: n / (run.wallMs / 1000),
        peakRssBytes: run.peakRssBytes,
        peakMainRssBytes: run.peakMainRssBytes,
        rowsChecked: check.rows,
      });
      process.stderr.write(
        `[bench] scaling ${n} #${rep + 1}: ${(run.wallMs / 1000).toFixed(2)} s, peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${check.rows} rows\n`,
      );
    }
    points.push({
      ...medianRun(runs, (r) => r.wallMs),
      peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
      peakMainRssBytes: Math.max(...runs.map((r) => r.peakMainRssBytes)),
      rowsChecked: Math.min(...runs.map((r) => r.rowsChecked)),
      runsWallMs: runs.map((r) => r.wallMs),
    });
  }
  return { topic, points, checksOk: points.every((p) => p.rowsChecked === p.records) };
}
