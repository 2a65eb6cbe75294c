#!/usr/bin/env node
// krange's command line. krange and job modules are TypeScript. While their sources are unchanged
// the CLI starts from a cached esbuild bundle of itself and the job it names (~0.3 s less per
// command); otherwise through tsx, and the bundle is rebuilt for the next command.
import { namedJob, startFromBundle } from './start-bundle.mjs';

if (!(await startFromBundle(process.argv))) {
  const { register } = await import('tsx/esm/api');
  register();
  if (process.env.KRANGE_DEBUG_STARTUP === '1') process.stderr.write('krange: started through tsx\n');
  const { rebuildCliBundle } = await import('../src/bundle/cli-bundle.ts');
  const rebuilt = rebuildCliBundle(namedJob(process.argv));
  const { main } = await import('../src/cli/main.ts');
  await main(process.argv);
  await rebuilt;
}
// Connections and log transports must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
