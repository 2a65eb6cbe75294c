// Issue 11: connection errors name the address and the variable that set it. For WebHDFS, MongoDB
// and Redis (Kafka and PostgreSQL: expected-failures-print-one-line-with-code) a job whose sink's
// server cannot be reached fails with one line: `cannot connect to <service> at <address> (set by
// KRANGE_..._URL)` and the error code, the password left out, no stack trace unless
// KRANGE_LOG_LEVEL=debug.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const STACK = /\n\s+at /;

async function jobWith(sink: string): Promise<{ job: string; env: Record<string, string> }> {
  const topic = uniqueName('unreach');
  await createTopic(topic, 1);
  await produce(topic, [{ value: JSON.stringify({ id: 1 }) }]);
  const job = writeJobFile(
    'unreachable',
    `{
      name: ${JSON.stringify(topic)},
      topics: [${JSON.stringify(topic)}],
      schema: { id: t.int64() },
      sinks: [${sink}],
      limits: { taskAttempts: 1 },
    }`,
  );
  // A short retry budget: the outage is permanent here, the default (2 minutes) would only wait.
  const env = {
    KRANGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'krange-state-')),
    KRANGE_RETRY_BUDGET_MS: '2000',
  };
  return { job, env };
}

async function expectOneLine(
  j: { job: string; env: Record<string, string> },
  env: Record<string, string>,
  message: RegExp,
  code: string,
): Promise<void> {
  const r = await cli(['run', j.job], { ...j.env, ...env, KRANGE_LOG_LEVEL: 'fatal' });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.stderr).not.toContain('secret');
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr).not.toMatch(/unexpected error/);
  const debug = await cli(['run', j.job], { ...j.env, ...env, KRANGE_LOG_LEVEL: 'debug' });
  expect(debug.code).toBe(1);
  expect(debug.stderr).toMatch(STACK);
}

describe('an unreachable sink server', () => {
  it('WebHDFS: names the NameNode address and KRANGE_WEBHDFS_URL', async () => {
    const j = await jobWith(`parquet({ path: 'webhdfs:///krange-test/${uniqueName('unreach')}' })`);
    await expectOneLine(
      j,
      { KRANGE_WEBHDFS_URL: 'http://krange:secret@127.0.0.1:1' },
      /cannot connect to WebHDFS at http:\/\/krange@127\.0\.0\.1:1 \(set by KRANGE_WEBHDFS_URL\): .*ECONNREFUSED/,
      'KRANGE_HDFS',
    );
  });

  it('MongoDB: names the server and KRANGE_MONGO_URL, without the password', async () => {
    const j = await jobWith(`mongo({ database: 'krange_unreach', collection: 'events', retries: 0 })`);
    await expectOneLine(
      j,
      {
        KRANGE_MONGO_URL:
          'mongodb://krange:secret@127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=1000',
      },
      /cannot connect to MongoDB at mongodb:\/\/krange@127\.0\.0\.1:1 \(set by KRANGE_MONGO_URL\): .*ECONNREFUSED/,
      'KRANGE_TASK_FAILED',
    );
  });

  it('Redis: names the server and KRANGE_REDIS_URL, without the password', async () => {
    const j = await jobWith(`redis({ mode: 'set', key: 'krange_unreach:{id}', retries: 0 })`);
    await expectOneLine(
      j,
      { KRANGE_REDIS_URL: 'redis://:secret@127.0.0.1:1' },
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1 \(set by KRANGE_REDIS_URL\): .*ECONNREFUSED/,
      'KRANGE_TASK_FAILED',
    );
  });
});
