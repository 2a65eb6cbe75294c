// OutputFs on the local disk: writes fsync'ed, rename(2) replaces atomically.

import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { OutputFs, ResolvedLocation } from './output-fs.ts';

export class LocalFs implements OutputFs {
  readonly description = 'file://';

  static resolve(location: string): ResolvedLocation {
    const path = location.startsWith('file://') ? fileURLToPath(location) : resolve(location);
    return { fs: new LocalFs(), path };
  }

  async writeStream(path: string, body: Readable): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await pipeline(body, createWriteStream(path));
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async mkdirs(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async rename(from: string, to: string): Promise<void> {
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }

  async delete(path: string, recursive: boolean): Promise<boolean> {
    if (!existsSync(path)) return false;
    // Like HDFS: a non-recursive delete removes a file or an empty directory, and fails otherwise.
    if (!recursive && (await stat(path)).isDirectory()) await rmdir(path);
    else await rm(path, { recursive, force: true });
    return true;
  }

  async list(path: string): Promise<string[]> {
    try {
      return (await readdir(path)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(path);
  }
}
