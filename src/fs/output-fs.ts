// Where a file sink writes: a local directory (file://) or HDFS through WebHDFS (webhdfs://).
// Both implement OutputFs and pass the same conformance suite (test/integration/output-fs.test.ts).

import type { Readable } from 'node:stream';
import { serviceEndpoints } from '../config/services.ts';
import { Errors } from '../errors.ts';
import { WebHdfsClient } from '../hdfs/webhdfs-client.ts';
import { LocalFs } from './local-fs.ts';
import { WebHdfsFs } from './webhdfs-fs.ts';

export interface OutputFs {
  /** e.g. `webhdfs://127.0.0.1:19870` or `file://`, for messages. */
  readonly description: string;
  /** Writes a whole file from a byte stream, replacing an existing one. */
  writeStream(path: string, body: Readable): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  mkdirs(path: string): Promise<void>;
  /** Moves a file into place, atomically replacing an existing destination. */
  rename(from: string, to: string): Promise<void>;
  delete(path: string, recursive: boolean): Promise<boolean>;
  /** Names in a directory; [] when it does not exist. */
  list(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

export interface ResolvedLocation {
  fs: OutputFs;
  /** Absolute path inside that file system. */
  path: string;
}

/** `webhdfs:///p` uses KRANGE_WEBHDFS_URL; `webhdfs://host:port/p` names the NameNode; else local. */
export function resolveLocation(location: string): ResolvedLocation {
  const m = /^(webhdfs|hdfs):\/\/([^/]*)(\/.*)$/.exec(location);
  if (m) {
    const env = serviceEndpoints();
    const url = m[2] ? `http://${m[2]}` : env.webhdfsUrl;
    return { fs: new WebHdfsFs(new WebHdfsClient({ url, user: env.hdfsUser })), path: m[3] ?? '/' };
  }
  if (/^[a-z]+:\/\//.test(location) && !location.startsWith('file://')) {
    throw Errors.config(`unsupported location '${location}': use webhdfs://, file:// or a local path`);
  }
  return LocalFs.resolve(location);
}
