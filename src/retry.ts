// The one retry doctrine: whether to retry is the error's `retriable` flag (a KrangeError's own, or
// the default of its code in errors.ts); how long is a time budget; the wait between attempts is
// exponential backoff with jitter. Used by the worker pool (between task attempts), the sinks, the
// WebHDFS client and the aggregator. Safe because every write it repeats is idempotent (upserts
// keyed by the record, SET/HSET, offset-guarded `latest`, WebHDFS overwrite and rename2).

import { type ErrorCode, type ErrorDetails, Errors, KrangeError, toKrangeError } from './errors.ts';

/** Retry for this long by default (ms): a NameNode restart or an HA failover takes 30-90 s. */
export const DEFAULT_RETRY_BUDGET_MS = 120_000;
/** The variable that sets the budget for every job that does not set `retry.budgetMs`. */
export const RETRY_BUDGET_VARIABLE = 'KRANGE_RETRY_BUDGET_MS';

export interface RetryPolicy {
  /** How long failures are retried, counted from the first attempt's start (ms). */
  budgetMs: number;
  /** At most this many retries after the first attempt, within the budget (default: no cap). */
  maxRetries?: number;
  /** The first wait; it doubles each retry up to maxDelayMs, with +-25 % jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Default 5,000 ms. */
  maxDelayMs?: number;
}

/** Time, injectable so a unit test can run a two-minute budget in no time. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
};

export interface RetryOptions extends RetryPolicy {
  /**
   * Turns what the call threw into a KrangeError whose `retriable` decides. Default:
   * toKrangeError (a KrangeError's own flag; a network outage of Node's is retriable, the rest not).
   */
  classify?: (err: unknown) => KrangeError;
  onRetry?: (err: KrangeError, attempt: number, delayMs: number) => void;
  /** A lower bound for the next wait from the error itself (a server's Retry-After), ms. */
  minDelayMs?: (err: unknown) => number | undefined;
  clock?: Clock;
  random?: () => number;
  /** Stops waiting: the last error is thrown at once. */
  signal?: AbortSignal;
}

/** The budget (or maxRetries) was spent on retriable failures; `last` is what the last attempt threw. */
export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly last: unknown,
    /** The last failure as classified. */
    readonly error: KrangeError,
  ) {
    super(last instanceof Error ? last.message : String(last));
  }
}

/** The wait before retry number `retry` (0-based): base x 2^retry capped at max, +-25 % jitter. */
export function backoffDelay(
  retry: number,
  baseMs = 200,
  maxMs = 5000,
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.round(raw * (0.75 + random() * 0.5));
}

/** Whether a failure is worth another attempt: its `retriable` flag, after toKrangeError. */
export function isRetriable(err: unknown): boolean {
  return toKrangeError(err).retriable;
}

/**
 * A classifier for a library's own errors: a KrangeError keeps its flag; anything else becomes a
 * KrangeError of `code`, retriable when `isTransient` says so.
 */
export function transientWhen(
  isTransient: (err: unknown) => boolean,
  code: ErrorCode,
): (err: unknown) => KrangeError {
  return (err) =>
    err instanceof KrangeError
      ? err
      : new KrangeError(code, err instanceof Error ? err.message : String(err), {
          cause: err,
          retriable: isTransient(err),
        });
}

/**
 * Runs fn until it succeeds. A failure that is not retriable is rethrown as it was thrown; retriable
 * failures are retried while the budget (and maxRetries) allow, the last wait cut to what is left of
 * the budget, then RetriesExhausted is thrown.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const clock = o.clock ?? realClock;
  const classify = o.classify ?? ((err: unknown) => toKrangeError(err));
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const e = classify(err);
      if (!e.retriable) throw err;
      const elapsed = clock.now() - started;
      const left = o.budgetMs - elapsed;
      if (left <= 0 || attempt > (o.maxRetries ?? Number.POSITIVE_INFINITY) || o.signal?.aborted) {
        throw new RetriesExhausted(attempt, elapsed, err, e);
      }
      const backoff = backoffDelay(attempt - 1, o.baseDelayMs, o.maxDelayMs, o.random);
      const delay = Math.min(left, Math.max(backoff, o.minDelayMs?.(err) ?? 0));
      o.onRetry?.(e, attempt, delay);
      await clock.sleep(delay);
    }
  }
}

/** The budget a job gets: its own `retry.budgetMs`, else KRANGE_RETRY_BUDGET_MS, else the default. */
export function retryBudgetMs(jobOption?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (jobOption !== undefined) return jobOption;
  const raw = env[RETRY_BUDGET_VARIABLE];
  if (raw === undefined || raw === '') return DEFAULT_RETRY_BUDGET_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw Errors.config(`${RETRY_BUDGET_VARIABLE}='${raw}' is not a whole number of milliseconds (>= 0)`);
  }
  return n;
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
      `cannot write ${c.unwritten} to ${c.server} after ${err.attempts} attempts in ${(err.elapsedMs / 1000).toFixed(1)} s: ` +
        `${c.reason?.(err) ?? err.message}. Check that the server is up and reachable (url, ${c.urlVariable}); ` +
        `the iteration can be run again safely (a longer outage needs a larger retry.budgetMs or ${RETRY_BUDGET_VARIABLE})`,
      c.where,
      err.last,
      true,
    );
  }
  return Errors.sink(c.sink, `writing to ${c.target} failed: ${(err as Error).message}`, c.where, err, false);
}
