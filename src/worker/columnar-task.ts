// One task on the columnar path: the range's record values are copied, without a JavaScript value
// per record, into an NDJSON file (one value a line) beside a CSV of their offsets (and timestamps) in a
// scratch directory (/dev/shm when there is one), DuckDB turns them into the task's Parquet files
// (sinks/parquet/columnar-sql.ts), and the Parquet sink commits them by its usual protocol. Any
// record the path cannot vouch for (records/json-walker.ts: not strict JSON on one line, or a typed
// field DuckDB would read otherwise; DuckDB's error; a value the SQL declines) makes it give up:
// runTask() then runs the task on the JavaScript path, which applies the bad-record policy as usual.

import { isUtf8 } from 'node:buffer';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Errors } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import { JsonWalker } from '../records/json-walker.ts';
import type { RawRecord } from '../records/record.ts';
import { readsKafkaTimestamp, typedFields } from '../sinks/parquet/columnar-plan.ts';
import { columnarCopySql } from '../sinks/parquet/columnar-sql.ts';
import { runColumnarCopy } from '../sinks/parquet/columnar-writer.ts';
import type { ParquetSink } from '../sinks/parquet/parquet-sink.ts';
import { pidAlive } from '../state/job-lock.ts';
import type { TaskResult } from './messages.ts';
import { sinkContext, type TaskRun } from './task-runner.ts';

/** Ranges up to this many records use /dev/shm (memory); a larger one the temp dir (disk). */
const SHM_RECORDS = 500_000;

/**
 * Where the NDJSON and DuckDB's files go: KRANGE_COLUMNAR_DIR, else /dev/shm for a range of up to
 * 500,000 records (~120 MB of demo values: memory the process's RSS does not show), else the temp dir,
 * so a 2,000,000-record task does not hold half a GiB of RAM per worker.
 */
function scratchRoot(records: bigint): string {
  const env = process.env['KRANGE_COLUMNAR_DIR'];
  if (env !== undefined && env !== '') return env;
  return records <= BigInt(SHM_RECORDS) && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** A record the columnar path cannot vouch for: the task goes to the JavaScript path. */
export class Declined extends Error {}

const LBRACE = 0x7b;

/** Whether the value is exactly `null` (no row on either path). */
function isNullText(b: Buffer, start: number, len: number): boolean {
  return (
    len === 4 && b[start] === 0x6e && b[start + 1] === 0x75 && b[start + 2] === 0x6c && b[start + 3] === 0x6c
  );
}

/**
 * A fetched batch as NDJSON value lines and `offset[,timestamp]` CSV lines (the timestamp only where the job reads it), a line each per record
 * with a value (a null value gives no row on either path). Throws Declined for a value the walker
 * does not vouch for (not a strict JSON object on one line, or a typed field DuckDB would read
 * otherwise than the JavaScript path) and for a batch that is not valid UTF-8.
 */
export function encodeRecords(
  batch: readonly RawRecord[],
  walker: JsonWalker,
  timestamps: boolean,
): { values: Buffer; meta: string; rows: number } {
  let size = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    const len = r.buf !== undefined && r.valueLength !== undefined ? r.valueLength : (r.value?.length ?? -1);
    if (len > 0) size += len + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let rows = 0;
  let meta = '';
  let pos = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    let src: Buffer;
    let start: number;
    let len: number;
    if (r.buf !== undefined && r.valueLength !== undefined && r.valueStart !== undefined) {
      src = r.buf;
      start = r.valueStart;
      len = r.valueLength;
    } else {
      if (r.value === null) continue;
      src = r.value;
      start = 0;
      len = r.value.length;
    }
    if (len < 0 || isNullText(src, start, len)) continue;
    if (len === 0 || src[start] !== LBRACE) throw new Declined('a value is not a JSON object text');
    if (!walker.vouch(src, start, start + len))
      throw new Declined(`the value at offset ${r.offset}: ${walker.refusal()}`);
    pos += src.copy(out, pos, start, start + len);
    out[pos++] = 0x0a;
    rows++;
    // The offset's text straight from the fetched record: no BigInt made and printed per record.
    const offset = r.offsetText === undefined ? r.offset : r.offsetText();
    meta += timestamps ? `${offset},${r.timestamp}\n` : `${offset}\n`;
  }
  // Invalid UTF-8 becomes U+FFFD on the JavaScript path (a bad record in a text field): one native pass.
  const values = out.subarray(0, pos);
  if (!isUtf8(values)) throw new Declined('a value is not valid UTF-8');
  return { values, meta, rows };
}

/** The scratch directories this thread made: removed when the worker shuts down. */
const scratchDirs = new Set<string>();
/** The scratch roots this thread already swept of dead processes' directories. */
const swept = new Set<string>();
const SCRATCH_NAME = /^krange-columnar-(\d+)-\d+$/;

/**
 * Removes, once per root and thread, the scratch directories of krange processes that are gone (a
 * SIGKILLed run's NDJSON, or DuckDB's spill directory, which DuckDB removes only when its instance
 * closes, after the task's own clean-up). A directory of a live process is never touched.
 */
function sweepDeadScratch(root: string): void {
  if (swept.has(root)) return;
  swept.add(root);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(SCRATCH_NAME.exec(name)?.[1] ?? Number.NaN);
    if (Number.isNaN(pid) || pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Removes this thread's scratch directories, DuckDB's spill directory in them: at the worker's shutdown. */
export function removeColumnarScratch(): void {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}

/**
 * Runs the task on the columnar path, or returns undefined (nothing committed, scratch removed)
 * when it cannot vouch for every record: the caller then runs the JavaScript path.
 */
export async function runColumnarTask(t: TaskRun, sink: ParquetSink): Promise<TaskResult | undefined> {
  const started = performance.now();
  const { range } = t;
  const root = scratchRoot(range.end - range.begin);
  sweepDeadScratch(root);
  const scratch = join(root, `krange-columnar-${process.pid}-${threadId}`);
  scratchDirs.add(scratch);
  const dir = join(scratch, `${t.taskId}-a${t.attempt}`.replace(/[^A-Za-z0-9_.-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const input = { values: join(dir, 'values.ndjson'), meta: join(dir, 'meta.csv') };
  const output = join(dir, 'out');
  let records = 0;
  const walker = new JsonWalker(typedFields(t.job));
  const timestamps = readsKafkaTimestamp(t.job);
  try {
    const values = await open(input.values, 'w');
    const meta = await open(input.meta, 'w');
    try {
      for await (const batch of t.reader.read(range, t.signal)) {
        if (t.signal?.aborted) throw Errors.aborted(`task ${t.taskId} cancelled`);
        const e = encodeRecords(batch, walker, timestamps);
        await Promise.all([values.write(e.values), meta.write(e.meta)]);
        records += batch.length;
        t.onProgress?.(records);
      }
    } finally {
      await Promise.all([values.close(), meta.close()]);
    }
    const sql = columnarCopySql(
      t.job,
      sink.spec,
      { job: t.job.name, topic: range.topic, partition: range.partition, begin: range.begin, end: range.end },
      input,
      output,
    );
    let files: Awaited<ReturnType<typeof runColumnarCopy>>;
    try {
      files = await runColumnarCopy(sql, output, scratch);
    } catch (err) {
      throw new Declined((err as Error).message);
    }
    rmSync(input.values, { force: true });
    const stats = await sink.commitFiles(sinkContext(t, sink.name, []), files);
    // As on the JavaScript path: no bad records also clears what an earlier read left.
    if (t.deadLetter !== undefined) await t.deadLetter.write(t.job.name, range, []);
    return {
      id: t.taskId,
      topic: range.topic,
      partition: range.partition,
      begin: range.begin.toString(),
      end: range.end.toString(),
      records,
      rows: stats.rows,
      bytes: stats.bytes,
      badRecords: 0,
      files: stats.files,
      durationMs: Math.round(performance.now() - started),
      attempts: t.attempt,
      sinks: {
        [sink.name]: { rows: stats.rows, bytes: stats.bytes, durationMs: stats.durationMs, refused: 0 },
      },
    };
  } catch (err) {
    if (!(err instanceof Declined)) throw err;
    t.logger.debug({
      event: LogEvents.taskColumnarDeclined,
      task: t.taskId,
      reason: err.message.slice(0, 500),
    });
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // The thread's directory too, unless DuckDB spilled into it (its temp directory lives there).
    try {
      rmdirSync(scratch);
    } catch {}
  }
}
