// The state backend on a local (or POSIX-mounted) directory: today's behaviour. A replace writes a
// complete temporary file, fsyncs it, renames it over the target and fsyncs the folder; an
// exclusive create writes the complete temporary file the same way and link(2)s it to the target,
// which fails with EEXIST when the target exists (so exactly one contender wins, and nobody reads
// a half-written file). Calls are synchronous node:fs inside async functions: state files are
// small, and this keeps the ordering (and the fsyncs) exactly as they were.

import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import type { StateBackend } from './state-backend.ts';

/** Temporary files start with a dot and are never listed. */
function tempName(path: string): string {
  return join(
    dirname(path),
    `.${path.slice(dirname(path).length + 1)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`,
  );
}

export class FileStateBackend implements StateBackend {
  constructor(
    /** The root directory (relative paths are kept as given in messages, as before). */
    readonly root: string,
  ) {}

  get location(): string {
    return this.root;
  }

  private file(key: string): string {
    return key === '' ? this.root : join(this.root, key);
  }

  describe(key: string): string {
    return this.file(key);
  }

  localPath(key: string): string {
    return this.file(key);
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return readFileSync(this.file(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    const d = this.file(dir);
    if (!existsSync(d)) return [];
    try {
      return readdirSync(d).filter((f) => !f.startsWith('.'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
  }

  async createExclusive(key: string, body: string): Promise<boolean> {
    const path = this.file(key);
    const tmp = tempName(path);
    writeFileAtomic(tmp, body);
    try {
      linkSync(tmp, path);
      fsyncDir(dirname(path));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async replace(key: string, body: string): Promise<void> {
    writeFileAtomic(this.file(key), body);
  }

  async append(key: string, text: string): Promise<void> {
    mkdirSync(dirname(this.file(key)), { recursive: true });
    const fd = openSync(this.file(key), 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async remove(key: string): Promise<void> {
    rmSync(this.file(key), { force: true });
  }

  async close(): Promise<void> {}
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
