// The agent's progress line on a terminal (stderr): lines sent, rate, retries, rejected lines.
// Silent when stderr is not a TTY or under CI.

/** As cli/format.ts's fmtInt; not imported, as push/ sits below cli/. */
const fmtInt = (n: number): string => n.toLocaleString('en-US');

export class ProgressLine {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.stream.isTTY === true && process.env['CI'] !== 'true';
  }

  update(
    s: { sent: number; retries: number; rejected: number; waiting?: string | undefined },
    force = false,
  ): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? Math.round(s.sent / secs) : 0;
    const wait = s.waiting === undefined ? '' : `  waiting: ${s.waiting}`;
    this.stream.write(
      `\rpush: ${fmtInt(s.sent)} lines stored  ${fmtInt(rate)} lines/s  retries ${fmtInt(s.retries)}  rejected ${fmtInt(s.rejected)}${wait}\u001b[K`,
    );
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}
