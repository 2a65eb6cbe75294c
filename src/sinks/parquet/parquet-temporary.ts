// Where Parquet sinks stage files, and the driver's clean-up of killed attempts. Kept apart from
// parquet-sink.ts so the driver does not load Arrow and the WebAssembly encoder just to clean up.

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
