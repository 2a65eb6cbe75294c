// Where a job's state (plans, commits, the lock's lease, attempts, history) is kept.

import { z } from 'zod';

/**
 * The job's state store, by URL: a directory (`file:///abs/dir` or a relative path), HDFS through
 * WebHDFS (`webhdfs:///krange/state` on KRANGE_WEBHDFS_URL, or `webhdfs://namenode:9870/krange/state`),
 * or PostgreSQL (`postgres:` for the job's PostgreSQL endpoint KRANGE_PG_URL, or a
 * `postgres://user@host:5432/db` URL; one table, `krange_state`). Default: KRANGE_STATE_URL, else
 * the directory KRANGE_STATE_DIR, else `./state`. Every driver of the job must name the same store:
 * the lock is a lease in it. `krange state <job> migrate --to <url>` copies a history to another store.
 */
export const stateStoreSchema = z
  .string()
  .min(1)
  .refine(
    (s) => !/^[a-z][a-z0-9+.-]*:/i.test(s) || /^(file|webhdfs|hdfs|postgres|postgresql):/i.test(s),
    'a directory, file:///dir, webhdfs:///dir, postgres: or postgres://user@host/db',
  );
