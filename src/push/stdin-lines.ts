// Lines from standard input, with the same poll interface as FileTail. There is nothing to
// checkpoint on a pipe: a restarted agent cannot resume it.

import { createInterface } from 'node:readline';
import type { Line } from './file-tail.ts';

export class StdinLines {
  readonly path = '-';
  private queue: Line[] = [];
  private ended = false;
  private bytes = 0;

  constructor(input: NodeJS.ReadableStream = process.stdin) {
    const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on('line', (text) => {
      this.bytes += Buffer.byteLength(text) + 1;
      if (text.trim() !== '')
        this.queue.push({ text, path: this.path, id: { dev: 0, ino: 0 }, end: this.bytes });
      // Back-pressure: stop reading while plenty is queued.
      if (this.queue.length > 50_000) rl.pause();
    });
    rl.on('close', () => {
      this.ended = true;
    });
    this.resume = () => rl.resume();
  }

  private readonly resume: () => void;

  get atEnd(): boolean {
    return this.ended && this.queue.length === 0;
  }

  async poll(maxBytes: number): Promise<Line[]> {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && bytes < maxBytes) bytes += (this.queue[n++] as Line).text.length;
    const out = this.queue.splice(0, n);
    if (this.queue.length < 10_000) this.resume();
    return out;
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}
}
