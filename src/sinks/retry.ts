// Retries for the network sinks (Mongo, Redis): exponential backoff with jitter around one call,
// only for errors the sink classifies as transient. Safe because every sink write is idempotent
// (upserts keyed by the record, SET/HSET, offset-guarded `latest`).

export interface RetryOptions {
  /** Retries after the first attempt (0: one attempt only). */
  retries: number;
  isTransient: (err: unknown) => boolean;
  /** First delay; doubles each retry up to maxDelayMs, with +-25 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
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
      const delay = backoffDelay(attempt - 1, base, max);
      o.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
