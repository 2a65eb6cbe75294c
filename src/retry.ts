// Retries for the network sinks (Mongo, Redis): exponential backoff with jitter around one call,
// only for errors the sink classifies as transient. Safe because every sink write is idempotent
// (upserts keyed by the record, SET/HSET, offset-guarded `latest`).

import { type ErrorDetails, Errors, KrangeError } from './errors.ts';

export interface RetryOptions {
  /** Retries after the first attempt (0: one attempt only). */
  retries: number;
  isTransient: (err: unknown) => boolean;
  /** First delay; doubles each retry up to maxDelayMs, with +-25 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** A lower bound for the next delay from the error itself (a server's Retry-After), ms. */
  minDelayMs?: (err: unknown) => number | undefined;
}

export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(last instanceof Error ? last.message : String(last));
  }
}

export function backoffDelay(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.round(raw * (0.75 + random() * 0.5));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs fn until it succeeds, fails with a non-transient error (rethrown as is), or fails
 * transiently `retries + 1` times (RetriesExhausted with the last error).
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const base = o.baseDelayMs ?? 200;
  const max = o.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!o.isTransient(err)) throw err;
      if (attempt > o.retries) throw new RetriesExhausted(attempt, err);
      const delay = Math.max(backoffDelay(attempt - 1, base, max), o.minDelayMs?.(err) ?? 0);
      o.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}

export interface WriteFailureContext {
  /** The sink's name in commit files and errors. */
  sink: string;
  /** What the write was aimed at, e.g. `mongodb://host/db.coll`. */
  target: string;
  /** What a user should check is reachable (often the same as target). */
  server: string;
  /** What was not written, e.g. `12 document(s)`. */
  unwritten: string;
  /** The variable that names the server's URL, for the hint. */
  urlVariable: string;
  where: ErrorDetails;
  /** Why the last attempt failed; defaults to its message. */
  reason?: (e: RetriesExhausted) => string;
}

/**
 * The error a network sink reports for a failed write: a KrangeError passes through; exhausted
 * retries become a retriable KRANGE_SINK with a hint; anything else a non-retriable one.
 */
export function writeFailure(err: unknown, c: WriteFailureContext): KrangeError {
  if (err instanceof KrangeError) return err;
  if (err instanceof RetriesExhausted) {
    return Errors.sink(
      c.sink,
      `cannot write ${c.unwritten} to ${c.server} after ${err.attempts} attempts: ${c.reason?.(err) ?? err.message}. ` +
        `Check that the server is up and reachable (url, ${c.urlVariable}); the iteration can be run again safely`,
      c.where,
      err.last,
      true,
    );
  }
  return Errors.sink(c.sink, `writing to ${c.target} failed: ${(err as Error).message}`, c.where, err, false);
}
