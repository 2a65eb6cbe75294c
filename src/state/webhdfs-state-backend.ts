// The state backend on HDFS through WebHDFS (`stateStore: 'webhdfs:///krange/state'`), reusing the
// WebHDFS client of the Parquet sink (its retries wait out a NameNode restart).
//
// - createExclusive: the complete body goes to a temporary file beside the target (CREATE), then a
//   RENAME without OVERWRITE moves it onto the target name; the NameNode refuses that rename when
//   the target exists (it answers false), atomically, so exactly one contender wins and the file
//   appears whole. Spark's HDFSMetadataLog uses the same rename rule on file systems without an
//   atomic create-if-absent.
// - replace: the complete temporary file is renamed with OVERWRITE (HDFS rename2): the NameNode
//   swaps the inode in one namespace operation, so a reader opens the old file or the new one,
//   never a half-written one (a file being written is only ever the temporary, never the target).
// - append: read, then replace with the text added (history.jsonl, under the job lock), rather than
//   WebHDFS APPEND, whose lease recovery after a crashed writer can hold the file for minutes.
// - A rename whose answer was lost is retried by the client and then answers false (the source is
//   gone): it counts as ours when our temporary file no longer exists (nobody else touches it).

import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { KrangeError } from '../errors.ts';
import type { WebHdfsClient } from '../fs/webhdfs-client.ts';
import type { StateBackend } from './state-backend.ts';

function notFound(err: unknown): boolean {
  return err instanceof KrangeError && err.details['status'] === 404;
}

export class WebHdfsStateBackend implements StateBackend {
  constructor(
    private readonly client: WebHdfsClient,
    /** The root folder on HDFS (absolute). */
    private readonly root: string,
    /** The URL as the user gave it, for messages. */
    readonly location: string,
  ) {}

  private file(key: string): string {
    return key === '' ? this.root : posix.join(this.root, key);
  }

  describe(key: string): string {
    return key === '' ? this.location : `${this.location.replace(/\/+$/, '')}/${key}`;
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return (await this.client.readFile(this.file(key))).toString('utf8');
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await this.client.listStatus(this.file(dir)))
        .map((s) => s.pathSuffix)
        .filter((n) => n !== '' && !n.startsWith('.'));
    } catch (err) {
      if (notFound(err)) return [];
      throw err;
    }
  }

  /** A complete temporary file beside `path` (CREATE makes the parent folders). */
  private async temporary(path: string, body: string): Promise<string> {
    const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.tmp-${randomUUID()}`);
    await this.client.create(tmp, Buffer.from(body, 'utf8'), { overwrite: false });
    return tmp;
  }

  async createExclusive(key: string, body: string): Promise<boolean> {
    const path = this.file(key);
    const tmp = await this.temporary(path, body);
    let moved = false;
    try {
      // False: another writer holds the name, or our own rename succeeded and its answer was lost
      // (the client retried it): our temporary file is gone only in the second case.
      moved = (await this.client.renameIfAbsent(tmp, path)) || !(await this.exists(tmp));
      return moved;
    } finally {
      if (!moved) await this.client.delete(tmp).catch(() => false);
    }
  }

  private async exists(path: string): Promise<boolean> {
    return (await this.client.getFileStatus(path)) !== undefined;
  }

  async replace(key: string, body: string): Promise<void> {
    const path = this.file(key);
    const tmp = await this.temporary(path, body);
    try {
      await this.client.rename(tmp, path, { overwrite: true });
    } catch (err) {
      await this.client.delete(tmp).catch(() => false);
      throw err;
    }
  }

  async append(key: string, text: string): Promise<void> {
    await this.replace(key, `${(await this.read(key)) ?? ''}${text}`);
  }

  async remove(key: string): Promise<void> {
    await this.client.delete(this.file(key));
  }

  async close(): Promise<void> {}
}
