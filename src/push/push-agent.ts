// `krange push`: reads NDJSON lines from files (followed across rotations) or stdin, sends them in
// batches, retries a batch with backoff and jitter while the destination answers 429/5xx or cannot
// be reached, and records in the checkpoint how far each file was acknowledged. One batch is in
// flight at a time, so after a crash at most that batch is sent again (at-least-once); a keyed
// sink downstream (Mongo _id from a line id) makes the replay harmless.

import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { isKrangeError } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import { withRetries } from '../retry.ts';
import { advance, type Checkpoint, emptyCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { FileTail, type Line } from './file-tail.ts';
import { ProgressLine } from './progress-line.ts';
import { type OutLine, type Sender, transientSendError } from './sender.ts';
import { StdinLines } from './stdin-lines.ts';

export interface PushOptions {
  /** Files to follow; `-` reads stdin. */
  inputs: string[];
  sender: Sender;
  /** Required when any input is a file. */
  checkpointPath?: string | undefined;
  /** Where refused lines are appended (NDJSON with the reason); default `<checkpoint>.rejected.ndjson`. */
  rejectsPath?: string | undefined;
  batchRecords: number;
  batchBytes: number;
  /** Stop when every input is read to its end (default: follow forever). */
  untilEof: boolean;
  pollMs: number;
  /** A JSON field of each line whose value becomes the Kafka key. */
  keyField?: string | undefined;
  logger: Logger;
  /** Aborted: finish the batch in flight, save the checkpoint, return. */
  signal?: AbortSignal | undefined;
}

export interface PushSummary {
  sent: number;
  rejected: number;
  retries: number;
  seconds: number;
}

type Source = FileTail | StdinLines;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Line -> what is sent, or why it cannot be (not JSON). */
export function toOutLine(text: string, keyField: string | undefined): OutLine | { bad: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { bad: `not a JSON line: ${(err as Error).message}` };
  }
  if (keyField === undefined) return { text, key: null };
  const k =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[keyField] : undefined;
  return { text, key: k === undefined || k === null ? null : typeof k === 'string' ? k : JSON.stringify(k) };
}

export async function runPush(o: PushOptions): Promise<PushSummary> {
  const started = Date.now();
  const files = o.inputs.filter((i) => i !== '-').map((i) => resolve(i));
  if (files.length > 0 && o.checkpointPath === undefined)
    throw new Error('a checkpoint path is needed to follow files');
  let cp: Checkpoint = o.checkpointPath === undefined ? emptyCheckpoint() : readCheckpoint(o.checkpointPath);
  const sources: Source[] = files.map((f) => new FileTail(f, o.logger));
  if (o.inputs.includes('-')) sources.push(new StdinLines());
  for (const s of sources) await s.start(s instanceof FileTail ? cp.files[s.path] : undefined);
  const rejectsPath =
    o.rejectsPath ?? (o.checkpointPath === undefined ? undefined : `${o.checkpointPath}.rejected.ndjson`);
  const progress = new ProgressLine();
  const stats = { sent: 0, rejected: 0, retries: 0 };
  let buffered: Line[] = [];
  let bufferedBytes = 0;

  const reject = (line: Line, reason: string) => {
    stats.rejected++;
    o.logger.warn(
      { event: LogEvents.pushRejected, path: line.path, offset: line.end, reason },
      'line refused; not retried',
    );
    if (rejectsPath !== undefined)
      appendFileSync(
        rejectsPath,
        `${JSON.stringify({ path: line.path, end: line.end, reason, line: line.text })}\n`,
      );
  };

  try {
    while (o.signal?.aborted !== true) {
      for (const s of sources) {
        if (bufferedBytes >= o.batchBytes || buffered.length >= o.batchRecords) break;
        for (const l of await s.poll(o.batchBytes)) {
          buffered.push(l);
          bufferedBytes += l.text.length;
        }
      }
      if (buffered.length === 0) {
        if (o.untilEof && sources.every((s) => s.atEnd)) break;
        progress.update(stats);
        await sleep(o.pollMs);
        continue;
      }
      // Take one batch off the buffer.
      let n = 0;
      let bytes = 0;
      while (
        n < buffered.length &&
        n < o.batchRecords &&
        (n === 0 || bytes + (buffered[n] as Line).text.length <= o.batchBytes)
      )
        bytes += (buffered[n++] as Line).text.length;
      const batch = buffered.slice(0, n);
      buffered = buffered.slice(n);
      bufferedBytes -= bytes;
      await sendBatch(batch);
      cp = checkpointAfter(cp, batch);
      if (o.checkpointPath !== undefined && batch.some((l) => l.path !== '-'))
        writeCheckpoint(o.checkpointPath, cp);
      progress.update(stats);
    }
  } finally {
    progress.update(stats, true);
    progress.done();
    for (const s of sources) await s.close();
    await o.sender.close();
  }
  const summary = { ...stats, seconds: (Date.now() - started) / 1000 };
  o.logger.info({ event: LogEvents.pushDone, ...summary }, 'push finished');
  return summary;

  async function sendBatch(batch: Line[]): Promise<void> {
    let pending: { line: Line; out: OutLine }[] = [];
    for (const line of batch) {
      const out = toOutLine(line.text, o.keyField);
      if ('bad' in out) reject(line, out.bad);
      else pending.push({ line, out });
    }
    if (pending.length === 0) return;
    await withRetries(
      async () => {
        const res = await o.sender.send(pending.map((p) => p.out));
        const again: typeof pending = [];
        let reason = '';
        res.results.forEach((r, i) => {
          const p = pending[i] as (typeof pending)[number];
          if (r.kind === 'stored') stats.sent++;
          else if (r.kind === 'rejected') reject(p.line, r.reason);
          else {
            again.push(p);
            reason = r.reason;
          }
        });
        pending = again;
        if (pending.length > 0)
          throw transientSendError(
            o.sender.target,
            `${pending.length} record(s) not stored: ${reason}`,
            res.retryAfterSeconds,
          );
        o.logger.debug({ event: LogEvents.pushSent, records: batch.length }, 'batch acknowledged');
      },
      {
        // The agent waits out any outage: it has nowhere else to put the lines.
        budgetMs: Number.POSITIVE_INFINITY,
        baseDelayMs: 200,
        maxDelayMs: 30_000,
        minDelayMs: (err) => {
          const s = isKrangeError(err) ? err.details['retryAfterSeconds'] : undefined;
          return typeof s === 'number' ? s * 1000 : undefined;
        },
        onRetry: (err, attempt, delayMs) => {
          stats.retries++;
          o.logger.warn(
            { event: LogEvents.pushRetry, attempt, delayMs, err: err.message },
            'send failed; retrying',
          );
          progress.update({ ...stats, waiting: err.message.slice(0, 60) }, true);
        },
      },
    );
  }
}

/** Pure: the checkpoint once `batch` is acknowledged: per path, the file and end of its last line. */
export function checkpointAfter(cp: Checkpoint, batch: readonly Line[]): Checkpoint {
  const last = new Map<string, { line: Line; count: number }>();
  for (const l of batch) {
    if (l.path === '-') continue;
    const prev = last.get(l.path);
    last.set(l.path, { line: l, count: (prev?.count ?? 0) + 1 });
  }
  let next = cp;
  for (const [path, { line, count }] of last) next = advance(next, path, line.id, line.end, count);
  return next;
}
