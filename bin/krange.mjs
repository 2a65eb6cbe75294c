#!/usr/bin/env node
// krange's command line. krange and job modules are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
// Connections and log transports must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
