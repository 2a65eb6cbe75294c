#!/usr/bin/env node
// krange's command line: the compiled CLI in dist/ (plain JavaScript, built by `npm run build`,
// `make build` or `npm pack`). Only the job module a command names goes through a loader (tsx),
// when it is TypeScript (src/job/job-loader.ts).
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('/dist/cli/main.js')) throw err;
  process.stderr.write(
    'krange: dist/ is not built; run `npm run build` (or `make build`) in the krange checkout\n',
  );
  process.exit(2);
}
await main(process.argv);
// Connections and log transports must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
