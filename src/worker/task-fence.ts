// A task's side of the lease's fencing (issue 13): the task carries the lock generation its runner
// held when it handed the task out, and right before it moves or publishes final output (a Parquet
// rename, a sink's commit) it checks the job's lock in the state store (`assertStillHolder`, one
// listing): a newer generation means the runner was presumed gone and another took the job over,
// so the task refuses with KRANGE_FENCED (not retriable) and leaves its output where no reader
// looks. ARCHITECTURE.md (*One iteration*, step 1) says why the window between this check and the
// rename is safe.

import type { Logger } from 'pino';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import { assertStillHolder, newestGeneration } from '../state/job-lock.ts';
import { openStateBackend } from '../state/state-location.ts';
import type { TaskFence } from './messages.ts';

/** Checks before `what` that the task's generation is still the newest; rejects with KRANGE_FENCED. */
export type FenceCheck = (what: string) => Promise<void>;

let unreachableSaid = false;

/** The check for a task planned under `fence` (none: the task is not fenced, e.g. a unit test's). */
export function fenceCheck(
  job: string,
  fence: TaskFence | undefined,
  logger: Logger,
  endpoints?: ServiceEndpoints,
): FenceCheck | undefined {
  if (fence === undefined) return undefined;
  // Opened once per location and thread (state-location.ts): a remote store keeps one client.
  const backend =
    endpoints === undefined ? openStateBackend(fence.state) : openStateBackend(fence.state, endpoints);
  return async (what) => {
    const top = await newestGeneration(backend, fence.dir);
    if (top === fence.generation) return;
    if (top === undefined) {
      // The lock is not visible from here (an executor host that does not mount the state
      // directory): the runner's own check before its commit still stands; say so once.
      if (!unreachableSaid)
        logger.warn(
          { state: backend.describe(fence.dir) },
          `cannot see the job's lock in ${backend.describe(fence.dir)} from this host: final renames are not fenced here`,
        );
      unreachableSaid = true;
      return;
    }
    await assertStillHolder(backend, fence.dir, job, fence.generation, what);
  };
}
