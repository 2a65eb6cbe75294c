// Builds the bundle bin/start-bundle.mjs starts the CLI from: krange's CLI and the job module the
// command line names (bundler.ts cachedBundle: recorded with the content hash of every source that
// went in, so any edit sends the next command through tsx, and here).

import { join } from 'node:path';
import { cachedBundle, SRC } from './bundler.ts';

/** Rebuilds the CLI bundle for a command naming `job`; never fails the command. */
export async function rebuildCliBundle(job: string | undefined): Promise<void> {
  if (process.env['KRANGE_CLI_BUNDLE'] === '0') return;
  try {
    const entry = [
      `export { main } from ${JSON.stringify(join(SRC, 'cli', 'main.ts'))};`,
      `export { preloadJobModule } from ${JSON.stringify(join(SRC, 'job', 'job-loader.ts'))};`,
      ...(job === undefined ? [] : [`export * as job from ${JSON.stringify(job)};`]),
    ].join('\n');
    await cachedBundle({ cache: 'krange-cli', name: 'cli', key: job, entry });
  } catch (err) {
    // The next command goes through tsx again and retries.
    if (process.env['KRANGE_DEBUG_STARTUP'] === '1')
      process.stderr.write(`krange: no CLI bundle: ${(err as Error).message}\n`);
  }
}
