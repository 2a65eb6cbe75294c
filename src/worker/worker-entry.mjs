// Worker thread bootstrap: job modules and krange itself are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
