// The console's actions. Run now and rerun start the CLI as a detached child (`krange run` /
// `krange rerun`), so an iteration outlives neither its lock rules nor a console restart, and the
// job lock keeps it from overlapping a scheduled run. Reset is previewed (the positions the next
// run would begin at) before it is applied, under the job lock like `krange reset`.

import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { previewReset, resetJob } from '../batch/reset-job.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import type { StartingOffsets } from '../job/job-spec.ts';

const CLI = fileURLToPath(new URL('../../bin/krange.mjs', import.meta.url));

export interface Started {
  pid: number;
  command: string[];
  log: string;
}

/** Starts `krange <args>` in the background; its output goes to a log file named in the answer. */
export function startCli(args: string[], logger: Logger): Started {
  const log = join(tmpdir(), `krange-console-${Date.now()}-${process.pid}.log`);
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, [CLI, ...args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, KRANGE_LOG_FORMAT: 'json' },
  });
  child.unref();
  logger.info({ pid: child.pid, args, log }, 'console started a command');
  return { pid: child.pid ?? -1, command: ['krange', ...args], log };
}

/** What a reset to `target` would set, beside today's positions: nothing is written. */
export function previewJobReset(job: LoadedJob, target: StartingOffsets, root: string, logger: Logger) {
  return previewReset(job, target, { logger, stateRoot: root });
}

export async function applyJobReset(job: LoadedJob, target: StartingOffsets, root: string, logger: Logger) {
  return resetJob(job, target, { logger, stateRoot: root });
}
