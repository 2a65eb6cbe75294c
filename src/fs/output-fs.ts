// Where a file sink writes: a local directory (file://) or HDFS through WebHDFS (webhdfs://).
// Both implement OutputFs; resolve-location.ts picks one from a sink's path.

import type { Readable } from 'node:stream';

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
