// OutputFs on HDFS through WebHDFS. Renames use rename2 with OVERWRITE, so moving a rerun's file
// into place replaces the old copy atomically.

import { dirname } from 'node:path/posix';
import type { Readable } from 'node:stream';
import type { OutputFs } from './output-fs.ts';
import type { WebHdfsClient } from './webhdfs-client.ts';

export class WebHdfsFs implements OutputFs {
  readonly description: string;

  constructor(readonly client: WebHdfsClient) {
    this.description = `webhdfs://${new URL(client.opts.url).host}`;
  }

  writeStream(path: string, body: Readable): Promise<void> {
    return this.client.create(path, body, { overwrite: true });
  }

  readFile(path: string): Promise<Buffer> {
    return this.client.readFile(path);
  }

  mkdirs(path: string): Promise<void> {
    return this.client.mkdirs(path);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.client.mkdirs(dirname(to));
    await this.client.rename(from, to, { overwrite: true });
  }

  delete(path: string, recursive: boolean): Promise<boolean> {
    return this.client.delete(path, { recursive });
  }

  async list(path: string): Promise<string[]> {
    const st = await this.client.getFileStatus(path);
    if (st === undefined) return [];
    return (await this.client.listStatus(path)).map((s) => s.pathSuffix).sort();
  }

  async exists(path: string): Promise<boolean> {
    return (await this.client.getFileStatus(path)) !== undefined;
  }
}
