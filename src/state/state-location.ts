// Which StateBackend holds a job's state. A location is a directory path (relative or absolute), a
// `file://` URL, `webhdfs:///dir` (KRANGE_WEBHDFS_URL's NameNode) or `webhdfs://host:port/dir`,
// `postgres:` (KRANGE_PG_URL) or a `postgres://…` URL. The job's `stateStore` wins, then
// KRANGE_STATE_URL, then the directory KRANGE_STATE_DIR, then ./state. Backends are opened once per
// location and process (a PostgreSQL pool, a WebHDFS agent), so stores of many jobs share them.

import { fileURLToPath } from 'node:url';
import { Errors } from '../errors.ts';
import { WebHdfsClient } from '../fs/webhdfs-client.ts';
import { addressOrigin, type ServiceEndpoints, serviceEndpoints } from '../job/endpoints.ts';
import { FileStateBackend } from './file-state-backend.ts';
import { PostgresStateBackend } from './postgres-state-backend.ts';
import type { StateBackend } from './state-backend.ts';
import { WebHdfsStateBackend } from './webhdfs-state-backend.ts';

export const STATE_URL_VARIABLE = 'KRANGE_STATE_URL';

/** The local state directory: KRANGE_STATE_DIR or ./state (also where progress files go). */
export function stateRoot(): string {
  return process.env['KRANGE_STATE_DIR'] ?? 'state';
}

/** The default location of jobs without a `stateStore`: KRANGE_STATE_URL, else the local directory. */
export function defaultStateLocation(): string {
  const url = process.env[STATE_URL_VARIABLE];
  return url !== undefined && url !== '' ? url : stateRoot();
}

/** Whether a location is a local directory (path or file://). */
export function isLocalLocation(location: string): boolean {
  return location.startsWith('file:') || !/^[a-z][a-z0-9+.-]*:/i.test(location);
}

const opened = new Map<string, StateBackend>();

/** The backend of a location (default: defaultStateLocation()), opened once per process. */
export function openStateBackend(
  location: string = defaultStateLocation(),
  endpoints: Pick<
    ServiceEndpoints,
    'webhdfsUrl' | 'hdfsUser' | 'pgUrl' | 'retryBudgetMs'
  > = serviceEndpoints(),
): StateBackend {
  if (isLocalLocation(location))
    return new FileStateBackend(location.startsWith('file:') ? fileURLToPath(location) : location);
  const known = opened.get(location);
  if (known !== undefined) return known;
  const backend = remoteBackend(location, endpoints);
  opened.set(location, backend);
  return backend;
}

function remoteBackend(
  location: string,
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'pgUrl' | 'retryBudgetMs'>,
): StateBackend {
  const hdfs = /^(webhdfs|hdfs):\/\/([^/]*)(\/.*)$/.exec(location);
  if (hdfs) {
    const host = hdfs[2] ?? '';
    const client = new WebHdfsClient({
      url: host === '' ? endpoints.webhdfsUrl : `http://${host}`,
      user: endpoints.hdfsUser,
      retryBudgetMs: endpoints.retryBudgetMs,
      origin: host === '' ? addressOrigin('webhdfs') : `named by the state store '${location}'`,
    });
    return new WebHdfsStateBackend(client, (hdfs[3] ?? '/').replace(/\/+$/, '') || '/', location);
  }
  if (/^postgres(ql)?:$/i.test(location))
    return new PostgresStateBackend(
      endpoints.pgUrl,
      addressOrigin('postgres'),
      location,
      endpoints.retryBudgetMs,
    );
  if (/^postgres(ql)?:\/\//i.test(location))
    return new PostgresStateBackend(
      location,
      `named by the state store location (the job's stateStore or ${STATE_URL_VARIABLE})`,
      location,
      endpoints.retryBudgetMs,
    );
  throw Errors.config(
    `unsupported state store '${location}': use a directory, file:///dir, webhdfs:///dir, postgres: or postgres://user@host/db`,
  );
}

/** Closes the remote backends this process opened (a long-lived process at its end). */
export async function closeStateBackends(): Promise<void> {
  const all = [...opened.values()];
  opened.clear();
  await Promise.all(all.map((b) => b.close().catch(() => undefined)));
}
