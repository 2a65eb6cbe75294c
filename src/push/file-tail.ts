// Follows one NDJSON file as `tail -F` does: reads complete lines from a byte position, notices a
// rotation by rename (the path now names another inode: the old file is read to its end first) and
// a truncation (copytruncate: start again at 0). Every line carries the file identity and the byte
// offset after it, which is what the checkpoint records once the line is acknowledged.

import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { LogEvents } from '../log-events.ts';
import { type FileIdentity, type FilePosition, planStart } from './checkpoint.ts';

export interface Line {
  text: string;
  /** The input path (the checkpoint key), even when read from its rotated predecessor. */
  path: string;
  id: FileIdentity;
  /** Byte offset just after this line in its file. */
  end: number;
}

interface Reader {
  handle: FileHandle;
  id: FileIdentity;
  pos: number;
  rest: Buffer;
  /** A rotated predecessor: read to its end, then dropped. */
  finishing: boolean;
}

const NL = 0x0a;

async function identity(path: string): Promise<(FileIdentity & { size: number }) | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { dev: s.dev, ino: s.ino, size: s.size } : undefined;
  } catch {
    return undefined;
  }
}

export class FileTail {
  private readers: Reader[] = [];
  private idle = false;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** True after a poll found nothing new in any file and no rotation pending. */
  get atEnd(): boolean {
    return this.idle;
  }

  async start(saved: FilePosition | undefined): Promise<void> {
    const current = await identity(this.path);
    const dir = dirname(this.path);
    const siblings: { path: string; id: FileIdentity & { size: number } }[] = [];
    if (
      saved !== undefined &&
      (current === undefined || current.ino !== saved.ino || current.dev !== saved.dev)
    ) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const p = join(dir, name);
        if (p === this.path) continue;
        const id = await identity(p);
        if (id !== undefined) siblings.push({ path: p, id });
      }
    }
    const plan = planStart(saved, current, siblings);
    if (plan.kind === 'finish-rotated') {
      await this.openReader(plan.rotatedPath, plan.offset, true);
      this.logger.info(
        { event: LogEvents.pushRotated, path: this.path, rotated: plan.rotatedPath },
        'finishing the rotated file first',
      );
      if (current !== undefined) await this.openReader(this.path, 0, false);
    } else if (current !== undefined) {
      await this.openReader(this.path, plan.kind === 'resume' ? plan.offset : 0, false);
      if (plan.kind === 'from-start' && saved !== undefined)
        this.logger.warn({ path: this.path, reason: plan.reason }, 'reading from the start of the file');
    }
  }

  private async openReader(path: string, pos: number, finishing: boolean): Promise<void> {
    const handle = await open(path, 'r');
    const s = await handle.stat();
    this.readers.push({ handle, id: { dev: s.dev, ino: s.ino }, pos, rest: Buffer.alloc(0), finishing });
  }

  /** Lines available now, up to about maxBytes; [] when nothing new. */
  async poll(maxBytes: number): Promise<Line[]> {
    const out: Line[] = [];
    for (;;) {
      const r = this.readers[0];
      if (r === undefined) {
        // The path did not exist yet; it may appear.
        if ((await identity(this.path)) !== undefined) await this.openReader(this.path, 0, false);
        else break;
        continue;
      }
      const got = await this.readLines(r, maxBytes, out);
      if (got > 0) break;
      if (r.finishing) {
        await this.retire(r, out);
        continue;
      }
      const now = await identity(this.path);
      const size = (await r.handle.stat()).size;
      if (size < r.pos) {
        this.logger.warn({ path: this.path }, 'the file was truncated; reading it from the start');
        r.pos = 0;
        r.rest = Buffer.alloc(0);
        continue;
      }
      if (now !== undefined && (now.dev !== r.id.dev || now.ino !== r.id.ino)) {
        // Rotated by rename: the old inode is complete once we read nothing more from it.
        this.logger.info(
          { event: LogEvents.pushRotated, path: this.path },
          'file rotated; switching to the new file',
        );
        await this.retire(r, out);
        await this.openReader(this.path, 0, false);
        continue;
      }
      break;
    }
    this.idle = out.length === 0 && this.readers.every((r) => !r.finishing);
    return out;
  }

  /** A finished file's last line may lack its newline: it is sent, then the reader is closed. */
  private async retire(r: Reader, out: Line[]): Promise<void> {
    if (r.rest.length > 0) {
      const text = r.rest.toString('utf8').replace(/\r$/, '');
      if (text.trim() !== '') out.push({ text, path: this.path, id: r.id, end: r.pos });
    }
    await r.handle.close();
    this.readers.shift();
  }

  private async readLines(r: Reader, maxBytes: number, out: Line[]): Promise<number> {
    const buf = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(maxBytes, 4 * 1024 * 1024)));
    const { bytesRead } = await r.handle.read(buf, 0, buf.length, r.pos + r.rest.length);
    if (bytesRead === 0) return 0;
    const data =
      r.rest.length > 0 ? Buffer.concat([r.rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let start = 0;
    let n = 0;
    for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, start)) {
      const end = i > start && data[i - 1] === 0x0d ? i - 1 : i;
      const text = data.toString('utf8', start, end);
      if (text.trim() !== '') {
        out.push({ text, path: this.path, id: r.id, end: r.pos + i + 1 });
        n++;
      }
      start = i + 1;
    }
    r.pos += start;
    r.rest = Buffer.from(data.subarray(start));
    return n > 0 || start > 0 ? Math.max(n, 1) : 0;
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.handle.close();
    this.readers = [];
  }
}
