// The <job> argument of run, plan, state, rerun, reset and aggregate: a job's file or its declared
// name. When it was the name, the file it resolved to is said on stderr (stdout stays the result).

import { findJob } from '../job/job-finder.ts';
import type { LoadedJob } from '../job/job-loader.ts';

export async function jobFromArg(arg: string): Promise<LoadedJob> {
  const { job, resolvedByName } = await findJob(arg);
  if (resolvedByName !== undefined) process.stderr.write(`krange: job '${arg}' is ${resolvedByName}\n`);
  return job;
}
