// The worker threads' entry: the job module and krange's worker code bundled into one ES module
// with esbuild (packages stay outside, imported by absolute path). A worker then starts with plain
// Node: no tsx loader thread per worker and one file instead of ~60 TypeScript modules, each
// resolved and loaded through the loader's message round trips. Measured, two workers on 2 cores:
// ready after ~0.4 s instead of ~1.0 s. Reused while its sources are unchanged, else built (~0.1 s)
// while the driver clears old temporary files (bundler.ts). Any failure to build falls back to worker-entry.mjs (tsx), logged at debug level.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { cachedBundle, SRC } from './bundler.ts';

/** Builds (or finds) the bundle for a job module; returns its path, or undefined to use tsx. */
export async function workerBundle(modulePath: string, logger: Logger): Promise<string | undefined> {
  if (process.env['KRANGE_WORKER_BUNDLE'] === '0') return undefined;
  const started = performance.now();
  try {
    const entry = [
      `import * as job from ${JSON.stringify(modulePath)};`,
      `import { jobFromModule } from ${JSON.stringify(join(SRC, 'job', 'job-loader.ts'))};`,
      `import { runWorker } from ${JSON.stringify(join(SRC, 'worker', 'worker-main.ts'))};`,
      `runWorker((init) => jobFromModule(job, ${JSON.stringify(modulePath)}, init.endpoints, init.schema));`,
    ].join('\n');
    const path = await cachedBundle({ cache: 'krange-workers', name: 'worker', key: modulePath, entry });
    logger.debug({ bundle: path, ms: Math.round(performance.now() - started) }, 'worker bundle ready');
    return path;
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'no worker bundle; workers load the job through tsx');
    return undefined;
  }
}
