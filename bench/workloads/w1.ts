// W1: the demo job over a topic of N events on 8 partitions, cold: `krange run` with a fresh state
// directory and a fresh HDFS path against the Spark application doing the same, alternating, each
// process timed from start to exit. Every output is read back from HDFS with DuckDB: both engines
// must produce N rows with the same checksum. `format: 'avro'` is W1-Avro: the same events as bare
// Avro values (bench/avro/clickstream.avsc), bench/jobs/clicks-avro.ts against Spark's from_avro.

import { rmSync } from 'node:fs';
import { avroPayloadBytes, CLICKS_AVSC, ensureAvroDemoTopic } from '../lib/avro-topic.ts';
import { buildSpark, freshStateDir, hdfsUri, ROOT, runKrange, runSpark } from '../lib/engines.ts';
import { checkHdfsParquet, type ParquetCheck } from '../lib/parquet-check.ts';
import { webhdfs } from '../lib/services.ts';
import { type Summary, summarize } from '../lib/stats.ts';
import { ensureDemoTopic, payloadBytes } from '../lib/topics.ts';

export interface W1Run {
  engine: 'krange' | 'spark';
  repeat: number;
  wallMs: number;
  peakRssBytes: number;
  /** krange: the outcome's durationMs; Spark: its query time (session start-up excluded). */
  inProcessMs: number | undefined;
  outputBytes: number;
  files: number;
  check: ParquetCheck;
}

export interface EngineSummary {
  wallMs: Summary;
  recordsPerSec: number;
  mbPerSec: number;
  peakRssBytes: Summary;
  inProcessMs: Summary;
}

export interface W1Result {
  /** The values' format: JSON (W1) or bare Avro (W1-Avro); absent in results older than W1-Avro. */
  format?: 'json' | 'avro';
  topic: string;
  records: number;
  payloadBytes: number;
  repeats: number;
  runs: W1Run[];
  krange: EngineSummary;
  spark: EngineSummary | undefined;
  /** krange records/s over Spark's (medians of wall time). */
  ratio: number | undefined;
  /** Every run produced N rows, and all runs the same checksum. */
  checksOk: boolean;
  checkNotes: string[];
  /** The last krange run's state dir and topic, for the no-op workload. */
  lastStateDir: string;
  /**
   * Where that run wrote (its sink is part of the job's identity in the state directory, so the
   * no-op run must name the same path); absent in results older than the identity check.
   */
  lastOutputPath?: string;
}

function engineSummary(runs: W1Run[], records: number, bytes: number): EngineSummary {
  const wall = summarize(runs.map((r) => r.wallMs));
  return {
    wallMs: wall,
    recordsPerSec: records / (wall.median / 1000),
    mbPerSec: bytes / 2 ** 20 / (wall.median / 1000),
    peakRssBytes: summarize(runs.map((r) => r.peakRssBytes)),
    inProcessMs: summarize(runs.flatMap((r) => (r.inProcessMs === undefined ? [] : [r.inProcessMs]))),
  };
}

export async function benchW1(o: {
  records: number;
  repeats: number;
  spark: boolean;
  runId: string;
  format?: 'json' | 'avro';
}): Promise<W1Result> {
  const format = o.format ?? 'json';
  const topic = format === 'avro' ? `bench-clicks-avro-${o.records}` : `bench-clicks-${o.records}`;
  if (format === 'avro') await ensureAvroDemoTopic(topic, o.records, 8);
  else await ensureDemoTopic(topic, o.records, 8);
  const bytes = format === 'avro' ? avroPayloadBytes(o.records) : payloadBytes(o.records);
  const job = format === 'avro' ? `${ROOT}/bench/jobs/clicks-avro.ts` : 'clickstream';
  if (o.spark) await buildSpark();
  const hdfs = webhdfs();
  const base = `/bench/${o.runId}/${format === 'avro' ? 'w1avro' : 'w1'}`;
  const runs: W1Run[] = [];
  const notes: string[] = [];
  let lastStateDir = '';
  let lastOutputPath = '';

  const runKrangeOnce = async (repeat: number): Promise<void> => {
    const stateDir = freshStateDir();
    const path = `${base}/krange-${repeat}`;
    const { run, outcome } = await runKrange({
      job,
      stateDir,
      env: { KRANGE_CLICKSTREAM_TOPIC: topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` },
    });
    const check = await checkHdfsParquet(path);
    runs.push({
      engine: 'krange',
      repeat,
      wallMs: run.wallMs,
      peakRssBytes: run.peakRssBytes,
      inProcessMs: outcome?.durationMs,
      outputBytes: check.bytes,
      files: check.files,
      check,
    });
    await hdfs.delete(path, { recursive: true });
    if (lastStateDir) rmSync(lastStateDir, { recursive: true, force: true });
    lastStateDir = stateDir;
    lastOutputPath = path;
    process.stderr.write(
      `[bench] W1${format === 'avro' ? '-Avro' : ''} krange #${repeat}: ${(run.wallMs / 1000).toFixed(2)} s, ${check.rows} rows\n`,
    );
  };
  const runSparkOnce = async (repeat: number): Promise<void> => {
    const path = `${base}/spark-${repeat}`;
    const { run, timings } = await runSpark(
      topic,
      hdfsUri(path),
      format === 'avro' ? CLICKS_AVSC : undefined,
    );
    const check = await checkHdfsParquet(path);
    runs.push({
      engine: 'spark',
      repeat,
      wallMs: run.wallMs,
      peakRssBytes: run.peakRssBytes,
      inProcessMs: timings?.queryMs,
      outputBytes: check.bytes,
      files: check.files,
      check,
    });
    await hdfs.delete(path, { recursive: true });
    process.stderr.write(
      `[bench] W1${format === 'avro' ? '-Avro' : ''} spark  #${repeat}: ${(run.wallMs / 1000).toFixed(2)} s, ${check.rows} rows\n`,
    );
  };

  for (let r = 1; r <= o.repeats; r++) {
    // Alternate who goes first, so neither always meets a warmer page cache.
    if (o.spark && r % 2 === 0) {
      await runSparkOnce(r);
      await runKrangeOnce(r);
    } else {
      await runKrangeOnce(r);
      if (o.spark) await runSparkOnce(r);
    }
  }
  await hdfs.delete(base, { recursive: true }).catch(() => false);

  const checksum = runs[0]?.check.checksum;
  for (const r of runs) {
    if (r.check.rows !== o.records)
      notes.push(`${r.engine} #${r.repeat}: ${r.check.rows} rows, expected ${o.records}`);
    if (r.check.checksum !== checksum)
      notes.push(`${r.engine} #${r.repeat}: checksum ${r.check.checksum} != ${checksum}`);
  }
  const kr = runs.filter((r) => r.engine === 'krange');
  const sp = runs.filter((r) => r.engine === 'spark');
  const krange = engineSummary(kr, o.records, bytes);
  const spark = sp.length > 0 ? engineSummary(sp, o.records, bytes) : undefined;
  return {
    format,
    topic,
    records: o.records,
    payloadBytes: bytes,
    repeats: o.repeats,
    runs,
    krange,
    spark,
    ratio: spark ? krange.recordsPerSec / spark.recordsPerSec : undefined,
    checksOk: notes.length === 0,
    checkNotes: notes,
    lastStateDir,
    lastOutputPath,
  };
}
