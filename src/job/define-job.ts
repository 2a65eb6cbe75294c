// The user's door: a job module does `export default defineJob({...})`. defineJob only types the
// spec; the loader validates it (with the file's path in every message) when the job is loaded.

import type { JobInput } from './job-spec.ts';

export function defineJob<J extends JobInput>(spec: J): J {
  return spec;
}
