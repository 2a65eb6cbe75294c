// The machine's ceiling for W1, each side measured alone on the same services:
//   Kafka: Kafka's own ConsumerPerformance (one Java consumer) reading the W1 topic; its fetch rate
//          (group join excluded) in records/s.
//   HDFS:  a raw WebHDFS write (src/fs/webhdfs-client.ts) of as many bytes as krange's W1 output,
//          in as many files, two at a time (krange's worker count here), timed to the last close.
// The lower of the two, in records/s of W1, is the ceiling; krange's share is its W1 rate over it.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ROOT } from '../lib/engines.ts';
import { assertOk, runMeasured } from '../lib/proc-tree.ts';
import { webhdfs } from '../lib/services.ts';
import { type Summary, summarize } from '../lib/stats.ts';

export interface KafkaLimit {
  /** fetch.nMsg.sec of each repeat. */
  recordsPerSec: Summary;
  mbPerSec: Summary;
  raw: string[];
}

export interface HdfsLimit {
  bytes: number;
  files: number;
  concurrency: number;
  wallMs: Summary;
  mbPerSec: number;
  /** W1 records per second that this write rate allows (records / wall). */
  recordsPerSec: number;
}

export interface LimitsResult {
  kafka: KafkaLimit;
  hdfs: HdfsLimit;
  /** min(Kafka, HDFS) in W1 records/s. */
  ceilingRecordsPerSec: number;
  bound: 'kafka' | 'hdfs';
  /** krange's W1 rate (process wall time) over the ceiling. */
  krangeShare: number | undefined;
  /** The same with krange's in-process time (start-up excluded). */
  krangeShareInProcess: number | undefined;
  /** The CPU side, which the I/O ceiling leaves out (absent in results from before it existed). */
  cpu?: CpuLimit;
}

export interface CpuLimit {
  /** Records per second per core of CPU for decode + transform + check + encode, no I/O. */
  recordsPerCoreSec: Summary;
  cores: number;
  /** recordsPerCoreSec x cores: what the workers could do if fetch and upload were free. */
  recordsPerSec: number;
  /** krange's W1 rate (process wall time) over it. */
  krangeShare: number | undefined;
}

/**
 * The CPU ceiling: bench/experiments/pipeline.ts runs a worker's task pipeline (runTask of the demo
 * job on records held in memory, Parquet to a local file) on one thread; its records per CPU-second
 * times the worker count is the most the workers could do with free I/O.
 */
export async function cpuLimit(
  records: number,
  repeats: number,
  cores: number,
): Promise<Omit<CpuLimit, 'krangeShare'>> {
  const rates: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = assertOk(
      await runMeasured(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'bench/experiments/pipeline.ts'),
        '--child',
        ROOT,
        '--records',
        String(records),
      ]),
      'pipeline.ts',
    );
    const s = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { cpuMs: number };
    rates.push(records / (s.cpuMs / 1000));
    process.stderr.write(
      `[bench] task pipeline without I/O: ${rates.at(-1)!.toFixed(0)} records per CPU-second\n`,
    );
  }
  const perCore = summarize(rates);
  return { recordsPerCoreSec: perCore, cores, recordsPerSec: perCore.median * cores };
}

export async function kafkaLimit(topic: string, records: number, repeats: number): Promise<KafkaLimit> {
  const rates: number[] = [];
  const mbs: number[] = [];
  const raw: string[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = assertOk(
      await runMeasured('bash', [
        join(ROOT, 'scripts/services/kafka.sh'),
        'perf-consumer',
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--timeout',
        '30000',
      ]),
      'ConsumerPerformance',
    );
    const lines = r.stdout.trim().split('\n');
    const hi = lines.findIndex((l) => l.startsWith('start.time'));
    const header = (lines[hi] ?? '').split(',').map((s) => s.trim());
    const values = (lines[hi + 1] ?? '').split(',').map((s) => s.trim());
    const get = (k: string): number => Number(values[header.indexOf(k)]);
    if (get('data.consumed.in.nMsg') < records)
      throw new Error(`ConsumerPerformance read ${get('data.consumed.in.nMsg')} of ${records}`);
    rates.push(get('fetch.nMsg.sec'));
    mbs.push(get('fetch.MB.sec'));
    raw.push(lines[hi + 1] ?? '');
    process.stderr.write(
      `[bench] Kafka ConsumerPerformance: ${get('fetch.nMsg.sec').toFixed(0)} records/s\n`,
    );
  }
  return { recordsPerSec: summarize(rates), mbPerSec: summarize(mbs), raw };
}

/** A stream of `bytes` bytes cut from one random (incompressible) buffer. */
function bytesStream(bytes: number, chunk: Buffer): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

export async function hdfsLimit(o: {
  bytes: number;
  files: number;
  concurrency: number;
  records: number;
  repeats: number;
  runId: string;
}): Promise<HdfsLimit> {
  const hdfs = webhdfs();
  const chunk = randomBytes(1 << 20);
  const files = Math.max(1, o.files);
  const per = Math.ceil(o.bytes / files);
  const walls: number[] = [];
  for (let rep = 0; rep < o.repeats; rep++) {
    const dir = `/bench/${o.runId}/hdfs-limit-${rep}`;
    await hdfs.mkdirs(dir);
    const t0 = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let f = next++; f < files; f = next++)
        await hdfs.create(`${dir}/f${f}.bin`, bytesStream(per, chunk));
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, files) }, lane));
    walls.push(performance.now() - t0);
    await hdfs.delete(dir, { recursive: true });
    process.stderr.write(
      `[bench] raw WebHDFS write: ${((per * files) / 2 ** 20).toFixed(1)} MiB in ${files} files, ${(walls.at(-1)! / 1000).toFixed(2)} s\n`,
    );
  }
  const wall = summarize(walls);
  return {
    bytes: per * files,
    files,
    concurrency: o.concurrency,
    wallMs: wall,
    mbPerSec: (per * files) / 2 ** 20 / (wall.median / 1000),
    recordsPerSec: o.records / (wall.median / 1000),
  };
}
