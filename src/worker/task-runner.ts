// One task: read exactly [begin, end) of one partition, process each record, stream the rows to
// every sink in bounded batches, then commit all sinks (or abort all). Runs inside a worker thread;
// memory depends on the fetch size, the row batch and the row-group size, never on the range size.

import type { Logger } from 'pino';
import { Errors, toKrangeError } from '../errors.ts';
import type { JobSpec } from '../job/job-spec.ts';
import type { RangeReader } from '../kafka/range-reader.ts';
import type { OffsetRange } from '../offset-range.ts';
import type { BadRecord } from '../records/record.ts';
import type { RecordProcessor } from '../records/record-processor.ts';
import { badRecordError, type DeadLetterTarget, sinkRejection } from '../sinks/dead-letter.ts';
import type { Sink, SinkRow, SinkTaskWriter, TaskContext } from '../sinks/sink.ts';
import type { TaskResult } from './messages.ts';
import type { FenceCheck } from './task-fence.ts';

export interface TaskRun {
  job: JobSpec;
  iteration: number;
  taskId: string;
  range: OffsetRange;
  attempt: number;
  reader: RangeReader;
  processor: RecordProcessor;
  sinks: Sink[];
  deadLetter: DeadLetterTarget | undefined;
  logger: Logger;
  /** Called now and then with the number of records read so far. */
  onProgress?: (records: number) => void;
  signal?: AbortSignal;
  /** The lease's fencing check, run before the sinks commit (and by a sink before each final rename). */
  fence?: FenceCheck | undefined;
}

/**
 * Rows handed to the sinks at a time. Small, so a row dies young: rows waiting here survive the
 * worker's minor GCs (copied, then promoted) and are read back from memory the caches no longer
 * hold; 1024 against 8192 promoted ~25% fewer bytes on the demo job (BENCHMARKS.md, issue 17). Sinks
 * that write to a server gather their own batches (`batchSize`), so their round trips do not shrink.
 */
const SINK_BATCH = 1024;
/** ...or fewer, once this long has passed: a slow transform still keeps the sinks streaming. */
const SINK_FLUSH_MS = 500;
/** Bad records kept in memory per task before the task fails regardless of policy. */
const MAX_BAD_RECORDS_BUFFERED = 100_000;

/**
 * What a sink is told about the task it writes for (both paths: the JavaScript one and the columnar
 * one). A row its server refuses goes to `bad`, naming the sink.
 */
export function sinkContext(t: TaskRun, sinkName: string, bad: BadRecord[]): TaskContext {
  const { range } = t;
  return {
    job: t.job.name,
    iteration: t.iteration,
    taskId: t.taskId,
    topic: range.topic,
    partition: range.partition,
    begin: range.begin,
    end: range.end,
    attempt: t.attempt,
    schema: t.job.schema,
    logger: t.logger,
    reject: sinkRejection(t.job.onBadRecord, bad, sinkName),
    ...(t.fence === undefined ? {} : { fence: t.fence }),
  };
}

export async function runTask(t: TaskRun): Promise<TaskResult> {
  const started = performance.now();
  const { range } = t;
  const policy = t.job.onBadRecord;
  const bad: BadRecord[] = [];
  // A row a sink's server refuses is left out of that sink only: it stays in the job's other sinks
  // (a refusal is known only once a sink has written the batch), so it is counted per sink (from
  // `bad`, where it names the sink), in the commit file and in `krange state`.
  const ctxFor = (sinkName: string): TaskContext => sinkContext(t, sinkName, bad);
  const writers: SinkTaskWriter[] = [];
  let records = 0;
  let rows = 0;
  let pending: SinkRow[] = [];
  let lastFlush = performance.now();

  const flush = async (): Promise<void> => {
    lastFlush = performance.now();
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await Promise.all(writers.map((w) => w.write(batch)));
  };

  try {
    for (const sink of t.sinks) writers.push(await sink.open(ctxFor(sink.name)));
    for await (const batch of t.reader.read(range, t.signal)) {
      if (t.signal?.aborted) throw Errors.aborted(`task ${t.taskId} cancelled`);
      const ready = t.processor.prepare(batch);
      if (ready !== undefined) await ready;
      for (const rec of batch) {
        records++;
        const before = pending.length;
        const failed = t.processor.processInto(rec, pending);
        if (failed !== undefined) {
          if (policy === 'fail') throw badRecordError(failed);
          bad.push(failed);
          if (bad.length > MAX_BAD_RECORDS_BUFFERED) {
            throw Errors.sink(
              'dead-letter',
              `more than ${MAX_BAD_RECORDS_BUFFERED} bad records in task ${t.taskId}; fix the input or the job`,
              {},
              undefined,
              false,
            );
          }
          continue;
        }
        rows += pending.length - before;
        // Within a fetched batch too (one can hold a whole task's range), so progress bars move at
        // the pace of the records, not of the fetches; the caller throttles what it passes on.
        if ((records & 255) === 0) t.onProgress?.(records);
        if (
          pending.length >= SINK_BATCH ||
          ((records & 255) === 0 && performance.now() - lastFlush > SINK_FLUSH_MS)
        ) {
          await flush();
        }
      }
      t.onProgress?.(records);
    }
    await flush();
    // A runner that lost the job's lease must not publish (Kafka and PostgreSQL commit here).
    await t.fence?.(`commit task ${t.taskId}`);
    const stats = await Promise.all(writers.map((w) => w.commit()));
    // After the sinks' commits, which may still report refused rows. A failure here fails the task,
    // and its retry rewrites the same (idempotent) outputs.
    if (t.deadLetter !== undefined) await t.deadLetter.write(t.job.name, range, bad);
    const sinks: TaskResult['sinks'] = {};
    let bytes = 0;
    const files: string[] = [];
    stats.forEach((s, i) => {
      const name = t.sinks[i]!.name;
      sinks[name] = {
        rows: s.rows,
        bytes: s.bytes,
        durationMs: s.durationMs,
        refused: bad.filter((b) => b.sink === name).length,
      };
      bytes += s.bytes;
      files.push(...s.files);
    });
    return {
      id: t.taskId,
      topic: range.topic,
      partition: range.partition,
      begin: range.begin.toString(),
      end: range.end.toString(),
      records,
      rows,
      bytes,
      badRecords: bad.length,
      files,
      durationMs: Math.round(performance.now() - started),
      attempts: t.attempt,
      sinks,
    };
  } catch (err) {
    await Promise.allSettled(writers.map((w) => w.abort()));
    throw toKrangeError(err, 'KRANGE_TASK_FAILED');
  }
}
