// Where Parquet sinks stage files, and the driver's clean-up of them: before an iteration's tasks
// (what killed attempts left) and after its commit (everything staged for the job, so a task renames
// its files and returns without waiting for those deletes). Kept apart from parquet-sink.ts so the
// driver does not load Arrow and the WebAssembly encoder just to clean up.

import { resolveLocation } from '../../fs/resolve-location.ts';
import type { ServiceEndpoints } from '../../job/endpoints.ts';
import type { ParquetSinkSpec } from '../../job/job-spec.ts';
import { joinPath } from './parquet-paths.ts';

export function temporaryDir(base: string, job: string, iteration: number): string {
  return joinPath(base, '_temporary', job, String(iteration));
}

/** Removes what killed attempts of an iteration left under _temporary (the caller holds the job lock). */
export async function removeTemporary(
  spec: ParquetSinkSpec,
  job: string,
  iteration: number,
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'retryBudgetMs'>,
): Promise<void> {
  const loc = resolveLocation(spec.path, endpoints);
  await loc.fs.delete(temporaryDir(loc.path, job, iteration), true);
}

/**
 * After a commit (the caller still holds the job lock): removes the job's whole staging folder,
 * `_temporary/<job>`, whose files are all either renamed or of attempts that lost, then
 * `_temporary` itself if no other job stages under the same path.
 */
export async function removeJobTemporary(
  spec: ParquetSinkSpec,
  job: string,
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'retryBudgetMs'>,
): Promise<void> {
  const loc = resolveLocation(spec.path, endpoints);
  await loc.fs.delete(joinPath(loc.path, '_temporary', job), true);
  // A non-recursive delete fails while another job's folder is inside: that is expected.
  await loc.fs.delete(joinPath(loc.path, '_temporary'), false).catch(() => false);
}
