// Picks the OutputFs for a sink path: `webhdfs:///p` uses the configured WebHDFS (KRANGE_WEBHDFS_URL), `webhdfs://host:port/p`
// names the NameNode, `file:///p` or a plain path is the local disk.

import { Errors } from '../errors.ts';
import { addressOrigin, type ServiceEndpoints } from '../job/endpoints.ts';
import { LocalFs } from './local-fs.ts';
import type { ResolvedLocation } from './output-fs.ts';
import { WebHdfsClient } from './webhdfs-client.ts';
import { WebHdfsFs } from './webhdfs-fs.ts';

export function resolveLocation(
  location: string,
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'retryBudgetMs'>,
): ResolvedLocation {
  const m = /^(webhdfs|hdfs):\/\/([^/]*)(\/.*)$/.exec(location);
  if (m) {
    const url = m[2] ? `http://${m[2]}` : endpoints.webhdfsUrl;
    const client = new WebHdfsClient({
      url,
      user: endpoints.hdfsUser,
      retryBudgetMs: endpoints.retryBudgetMs,
      origin: m[2] ? `named by the job's location '${location}'` : addressOrigin('webhdfs'),
    });
    return { fs: new WebHdfsFs(client), path: m[3] ?? '/' };
  }
  if (/^[a-z]+:\/\//.test(location) && !location.startsWith('file://')) {
    throw Errors.config(`unsupported location '${location}': use webhdfs://, file:// or a local path`);
  }
  return LocalFs.resolve(location);
}
