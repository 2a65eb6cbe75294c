// Integration tests talk to real servers, found in this order:
// 1. KRANGE_KAFKA_BROKERS, KRANGE_WEBHDFS_URL, KRANGE_MONGO_URL, KRANGE_REDIS_URL, KRANGE_PG_URL all set: use them;
// 2. a Docker engine answers: start them with testcontainers (test/setup/containers.ts);
// 3. else: the project's local stack (scripts/services/services.sh up), started if not running.
// Tests isolate themselves (unique topics, HDFS paths, databases), so any shared cluster works.

import { execFileSync, spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

const VARS = [
  'KRANGE_KAFKA_BROKERS',
  'KRANGE_WEBHDFS_URL',
  'KRANGE_MONGO_URL',
  'KRANGE_REDIS_URL',
  'KRANGE_PG_URL',
] as const;

function dockerAnswers(): boolean {
  if (process.env['KRANGE_NO_DOCKER'] === '1') return false;
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, stdio: 'pipe' });
  return r.status === 0 && r.stdout.toString().trim() !== '';
}

function localStackEnv(): Record<string, string> {
  const out = execFileSync('bash', ['scripts/services/services.sh', 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The CLI and the worker threads the tests spawn run dist/: rebuild it if any source changed
  // since it was built, so a test never runs old code.
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building dist/ failed (node scripts/build.mjs)');
  let teardown = async (): Promise<void> => {};
  let source: 'env' | 'docker' | 'local' = 'local';
  if (VARS.every((v) => process.env[v])) {
    source = 'env';
    process.stderr.write('[krange tests] using the servers named by KRANGE_* variables\n');
  } else if (dockerAnswers()) {
    process.stderr.write('[krange tests] Docker engine found: starting servers with testcontainers\n');
    const { startContainers } = await import('./containers.ts');
    source = 'docker';
    const started = await startContainers();
    Object.assign(process.env, started.env);
    teardown = started.stop;
  } else {
    process.stderr.write(
      '[krange tests] no Docker engine: starting the local service stack (make services-up)\n',
    );
    const r = spawnSync('bash', ['scripts/services/services.sh', 'up'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the local service stack did not start; see `make services-logs`');
    Object.assign(process.env, localStackEnv());
  }
  for (const v of VARS) project.provide(v, process.env[v] ?? '');
  // Outage tests stop and restart a server; they can do that to the local stack only (or with
  // KRANGE_TEST_*_STOP/START commands for other servers).
  project.provide('KRANGE_TEST_SERVERS', process.env['KRANGE_TEST_SERVERS'] ?? source);
  return teardown;
}

declare module 'vitest' {
  export interface ProvidedContext {
    KRANGE_KAFKA_BROKERS: string;
    KRANGE_WEBHDFS_URL: string;
    KRANGE_MONGO_URL: string;
    KRANGE_REDIS_URL: string;
    KRANGE_PG_URL: string;
    KRANGE_TEST_SERVERS: string;
  }
}
