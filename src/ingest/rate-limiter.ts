// Per-token rate limits in records per second: a token bucket per principal, refilled continuously.
// Pure (time is passed in) so the arithmetic is unit-tested.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * Takes `records` from the principal's bucket. Returns 0 when allowed, else the milliseconds
   * until that many records would be available (the caller answers 429 with Retry-After).
   * A request larger than the whole bucket is allowed once the bucket is full, so it is never stuck.
   */
  take(name: string, records: number, perSecond: number, burst: number, nowMs: number): number {
    const b = this.buckets.get(name) ?? { tokens: burst, at: nowMs };
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * perSecond);
    b.at = nowMs;
    this.buckets.set(name, b);
    const need = Math.min(records, burst);
    if (b.tokens >= need) {
      b.tokens -= records;
      return 0;
    }
    return Math.ceil(((need - b.tokens) / perSecond) * 1000);
  }
}
