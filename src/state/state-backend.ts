// Where a job's state lives: a small asynchronous store of named text files under one root, the
// only thing StateStore, the job lock, the attempt log, the history and the identity use. Keys are
// relative, '/'-separated paths under the root (`<job>/offsets/3.json`). Three implementations, one
// module each: local files (file-state-backend.ts), WebHDFS and PostgreSQL; state-location.ts picks
// one from the job's `stateStore` or KRANGE_STATE_URL / KRANGE_STATE_DIR.
//
// What every implementation guarantees (the conformance suite checks it):
// - `createExclusive` creates a key only if it does not exist, atomically: of N concurrent
//   contenders exactly one gets `true` (Spark HDFSMetadataLog's rule for a plan or a commit, and
//   the lock's generations), and nobody ever reads a half-written file.
// - `replace` swaps the whole content: a reader sees the old or the new text, never a mix.
// - `append` adds text at the end (history.jsonl; the caller holds the job lock); a crash may leave
//   a torn last line, which readers ignore.
// - `read` of a missing key is undefined; `list` of a missing folder is [].

import { hostname } from 'node:os';

export interface StateBackend {
  /**
   * The root as given (a directory, `webhdfs:///krange/state`, `postgres:`, a `postgres://` URL):
   * `openStateBackend(location)` opens the same store again (a task does, to check the lease). It
   * may hold a password: messages show `describe()`, never this.
   */
  readonly location: string;
  /** Where a key lives, for messages: an absolute or relative path, or a URL. */
  describe(key: string): string;
  /** The key's text, or undefined when it does not exist. */
  read(key: string): Promise<string | undefined>;
  /** Names directly inside folder `dir` (files and folders, no temporary files), unsorted; [] when missing. */
  list(dir: string): Promise<string[]>;
  /** Creates `key` with `body` unless it exists: true when this call created it. */
  createExclusive(key: string, body: string): Promise<boolean>;
  /** Creates or replaces `key` atomically for readers. */
  replace(key: string, body: string): Promise<void>;
  /** Appends `text` to `key` (created when missing). */
  append(key: string, text: string): Promise<void>;
  /** Removes a key (a file; nothing when missing). */
  remove(key: string): Promise<void>;
  /** The local directory of a folder when the store is a local file system (progress files). */
  localPath?(key: string): string;
  /** Releases connections (a no-op for files). */
  close(): Promise<void>;
}

/** Joins key parts with '/', dropping empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/**
 * This host's name in lock claims and attempts: KRANGE_HOST_ID, else os.hostname(). Processes that
 * share a kernel but not a network (separate network namespaces) set it to count as separate hosts:
 * a claim of another host is judged by its heartbeat, never by a local pid.
 */
export function hostId(): string {
  const v = process.env['KRANGE_HOST_ID'];
  return v !== undefined && v !== '' ? v : hostname();
}
