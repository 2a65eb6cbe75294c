// Worker thread bootstrap when no esbuild bundle could be built (worker-bundle.ts): job modules
// and krange itself are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { runWorker } = await import('./worker-main.ts');
const { loadJob } = await import('../job/job-loader.ts');
runWorker((init) => loadJob(init.modulePath, init.endpoints, init.schema));
