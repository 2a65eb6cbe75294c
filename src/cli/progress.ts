// A live progress line on a TTY: records done of planned, rate and ETA. Silent elsewhere.

import { fmtInt } from './format.ts';

export class ProgressBar {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.stream.isTTY === true && process.env['CI'] !== 'true';
  }

  update(done: number, planned: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < planned) return;
    this.last = now;
    const frac = planned > 0 ? Math.min(1, done / planned) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.max(0, (planned - done) / rate) : 0;
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    this.stream.write(
      `\r[${bar}] ${fmtInt(done)}/${fmtInt(planned)} records  ${fmtInt(Math.round(rate))} rec/s  ETA ${eta.toFixed(0)} s `,
    );
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}
