// The worker threads' entry (compiled to dist/worker/worker-entry.js, which the pool starts): plain
// JavaScript, so a thread loads krange with Node's own loader; only the job module, when it is
// TypeScript, goes through tsx (job-loader.ts).

import { loadJob } from '../job/job-loader.ts';
import { runWorker } from './worker-main.ts';

runWorker((init) => loadJob(init.modulePath, init.endpoints, init.schema));
