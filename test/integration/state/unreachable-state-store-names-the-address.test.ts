// A state store that cannot be reached fails in one line naming the server's address (never its
// password) and the variable that set it, after the retry budget, as the sinks do.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { uniqueName } from '../../helpers/kafka.ts';

const job = () =>
  writeJobFile(
    'unreachable-state',
    `{ name: ${JSON.stringify(uniqueName('job'))}, topics: ['t'], schema: { id: t.int64() },
       sinks: [parquet({ path: '/tmp/krange-unreachable-state' })] }`,
  );

describe('an unreachable state store', () => {
  it('names PostgreSQL and KRANGE_PG_URL for postgres:, without the password', async () => {
    const r = await cli(['state', job()], {
      KRANGE_STATE_URL: 'postgres:',
      KRANGE_PG_URL: 'postgres://krange:s3cret@127.0.0.1:1/krange',
      KRANGE_RETRY_BUDGET_MS: '1500',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cannot connect to PostgreSQL at postgres://krange@127.0.0.1:1/krange (set by KRANGE_PG_URL)',
    );
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names WebHDFS and KRANGE_WEBHDFS_URL for webhdfs:///', async () => {
    const r = await cli(['state', job()], {
      KRANGE_STATE_URL: 'webhdfs:///krange-test/state',
      KRANGE_WEBHDFS_URL: 'http://127.0.0.1:1',
      KRANGE_RETRY_BUDGET_MS: '1500',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to WebHDFS at http://127.0.0.1:1 (set by KRANGE_WEBHDFS_URL)');
  });

  it('names the URL a stateStore gives, without its password, and where it came from', async () => {
    const r = await cli(['state', job()], {
      KRANGE_STATE_URL: 'postgres://krange:s3cret@127.0.0.1:1/krange',
      KRANGE_RETRY_BUDGET_MS: '1500',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "cannot connect to PostgreSQL at postgres://krange@127.0.0.1:1/krange (named by the state store location (the job's stateStore or KRANGE_STATE_URL))",
    );
    expect(r.stderr).not.toContain('s3cret');
  });
});
