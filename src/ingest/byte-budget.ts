// The bounded in-flight byte budget: bytes of requests accepted but not yet answered. Past the
// budget the gateway answers 429 instead of buffering without limit, so a slow Kafka shows up as
// back-pressure at the clients, not as memory growth in the gateway.

export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** True when `bytes` fit (always when nothing is in flight, so one large request still passes). */
  tryAcquire(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
