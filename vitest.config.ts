import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Job modules import 'krange' (the package's own name). Inside a test process that is the
// TypeScript source; the CLI and the worker threads the tests spawn resolve it to dist/ instead.
const krangeSource = { alias: [{ find: /^krange$/, replacement: resolve('src/index.ts') }] };

// Two projects: `unit` (pure logic, fast, parallel) and `integration` (real servers, one file at a
// time: some tests stop and restart a server, and the machine has two cores).
export default defineConfig({
  test: {
    projects: [
      {
        resolve: krangeSource,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve: krangeSource,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/global-setup.ts'],
          setupFiles: ['test/setup/env.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
