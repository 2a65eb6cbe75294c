// How long the worker pool takes from start to every thread ready (job module loaded, reader and
// sinks made), in the krange checkout given, for its demo job: compiled (dist/, as the CLI runs it
// now: with the job cache's look-up, or build, of the compiled job module when the checkout has
// one, else the job through tsx in every thread) or, in a checkout from before dist/ existed, as its CLI did (the esbuild worker bundle,
// timed with its build or cache look-up). Prints `ready_ms <n>`. Plain JavaScript, so the process
// measuring adds no loader of its own to the compiled case.
//   node bench/experiments/worker-ready.mjs <checkout> [--workers 2]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? '.');
const wi = process.argv.indexOf('--workers');
const size = wi > 0 ? Number(process.argv[wi + 1]) : 2;
const url = (p) => pathToFileURL(join(root, p)).href;
const compiled = existsSync(join(root, 'dist/worker/worker-pool.js'));
const modulePath = join(root, 'jobs/clickstream.ts');

let pool;
let started;
if (compiled) {
  const { WorkerPool } = await import(url('dist/worker/worker-pool.js'));
  const { serviceEndpoints } = await import(url('dist/job/endpoints.js'));
  const { createLogger } = await import(url('dist/logger.js'));
  const cache = existsSync(join(root, 'dist/job/job-cache.js'))
    ? await import(url('dist/job/job-cache.js'))
    : undefined;
  started = performance.now();
  const compiled = cache === undefined ? undefined : (await cache.compiledJobModule(modulePath)).path;
  pool = await WorkerPool.start({
    modulePath,
    ...(compiled === undefined ? {} : { compiled }),
    endpoints: serviceEndpoints(),
    size,
    attempts: 1,
    logger: createLogger('bench'),
  });
} else {
  const { register } = await import(url('node_modules/tsx/dist/esm/api/index.mjs'));
  register();
  const { WorkerPool } = await import(url('src/worker/worker-pool.ts'));
  const { workerBundle } = await import(url('src/bundle/worker-bundle.ts'));
  const { serviceEndpoints } = await import(url('src/job/endpoints.ts'));
  const { createLogger } = await import(url('src/logger.ts'));
  const logger = createLogger('bench');
  started = performance.now();
  const entry = await workerBundle(modulePath, logger);
  pool = await WorkerPool.start({ modulePath, endpoints: serviceEndpoints(), entry, size, attempts: 1, logger });
}
const ready = performance.now() - started;
await pool.close();
process.stdout.write(`ready_ms ${Math.round(ready)}\n`);
process.exit(0);
