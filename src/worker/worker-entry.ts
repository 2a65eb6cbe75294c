// The worker threads' entry (compiled to dist/worker/worker-entry.js, which the pool starts): plain
// JavaScript, so a thread loads krange with Node's own loader; a TypeScript job module is imported
// from the driver's job cache (job-cache.ts), through tsx only when that could not be built.

import { loadJob } from '../job/job-loader.ts';
import { runWorker } from './worker-main.ts';

runWorker((init) => loadJob(init.modulePath, init.endpoints, init.schema, init.compiled));
