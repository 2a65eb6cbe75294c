// Expected failures (Kafka unreachable, a state directory that is a file or cannot be written, a
// PostgreSQL login refused) used to print `unexpected error` with a stack trace. Each is a
// KrangeError: one line with its code, the address or path and what set it; no stack trace unless
// KRANGE_LOG_LEVEL=debug.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

const STACK = /\n\s+at /;

async function job(): Promise<string> {
  const topic = uniqueName('fail');
  await createTopic(topic, 1);
  return writeJobFile(
    'failing',
    `{
      name: 'failing',
      topics: [${JSON.stringify(topic)}],
      schema: { user_id: t.int64() },
      sinks: [parquet({ path: '/tmp/krange-failing' })],
      aggregate: { groupBy: ['user_id'], window: { size: '1m' }, measures: { n: { op: 'count' } } },
    }`,
  );
}

describe('expected failures', () => {
  it('plan with Kafka unreachable names the brokers and KRANGE_KAFKA_BROKERS', async () => {
    const r = await cli(['plan', await job()], {
      KRANGE_KAFKA_BROKERS: '127.0.0.1:1',
      KRANGE_LOG_LEVEL: 'fatal',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot connect to Kafka at 127\.0\.0\.1:1 \(set by KRANGE_KAFKA_BROKERS\).*\[KRANGE_KAFKA\]/,
    );
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it('a state directory that is a file, or cannot be created, is named with what to do', async () => {
    const file = join(tmpdir(), `${uniqueName('state-file')}`);
    writeFileSync(file, 'not a directory');
    const jobFile = await job();
    for (const command of ['run', 'plan', 'state']) {
      const r = await cli([command, jobFile], { KRANGE_STATE_DIR: file });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `state directory ${file} (set by KRANGE_STATE_DIR) is a file, not a directory`,
      );
      expect(r.stderr).toContain('[KRANGE_CONFIG]');
      expect(r.stderr).not.toMatch(STACK);
    }
    const unwritable = await cli(['run', jobFile], { KRANGE_STATE_DIR: '/proc/krange-state' });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(
      /state directory \/proc\/krange-state \(set by KRANGE_STATE_DIR\) is not writable/,
    );
    expect(unwritable.stderr).not.toMatch(STACK);
  });

  it('aggregate --status with a refused PostgreSQL login names the address and KRANGE_PG_URL, not the password', async () => {
    const url = (process.env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange').replace(
      /\/\/[^@]*@/,
      '//krange_no_such_role:secret@',
    );
    const r = await cli(['aggregate', await job(), '--status'], { KRANGE_PG_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/krange_no_such_role@.*\(set by KRANGE_PG_URL\)/,
    );
    expect(r.stderr).toContain('[KRANGE_POSTGRES]');
    expect(r.stderr).not.toContain('secret');
    expect(r.stderr).not.toMatch(STACK);

    const debug = await cli(['aggregate', await job(), '--status'], {
      KRANGE_PG_URL: url,
      KRANGE_LOG_LEVEL: 'debug',
    });
    expect(debug.stderr).toMatch(STACK);
  });
});
