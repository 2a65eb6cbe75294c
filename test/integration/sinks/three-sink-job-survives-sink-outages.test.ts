// Redis, then MongoDB, goes down in the middle of an iteration of the three-sink job: the run fails
// with an error naming the sink and the server, offsets are not committed, and once the server is
// back the next run completes with nothing lost or doubled in any sink.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { endpoints, service } from '../../helpers/sinks.ts';
import {
  dropThreeSinkData,
  expectThreeSinksExact,
  mongoDocs,
  THREE_SINKS_JOB,
  type ThreeSinkFixture,
  threeSinkFixture,
} from '../../helpers/three-sinks.ts';
import { until } from '../../helpers/until.ts';

async function redisKeys(f: ThreeSinkFixture): Promise<number> {
  const r = new Redis(endpoints().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    return (await r.keys(`${f.prefix}:*`)).length;
  } catch {
    return 0;
  } finally {
    r.disconnect();
  }
}

let f: ThreeSinkFixture | undefined;
afterAll(async () => {
  service('redis', 'start');
  service('mongo', 'start');
  if (f) await dropThreeSinkData(f);
});

describe('sink outages', () => {
  it('fail the iteration uncommitted; after the server is back the next run completes exactly once', async () => {
    f = await threeSinkFixture(3, { KRANGE_TEST_MAX_PER_TASK: '2000' });
    const fx = f;
    const state = join(fx.stateDir, fx.job);
    await produceEvents(fx, 1500);
    expect((await cli(['run', THREE_SINKS_JOB], fx.env)).code).toBe(0);

    // Redis stops while iteration 1 writes.
    await produceEvents(fx, 3000);
    let run = startCli(['run', THREE_SINKS_JOB], { ...fx.env, KRANGE_TEST_DELAY_MS: '300' });
    await until('iteration 1 writing', async () => (await mongoDocs(fx)).length > 1500 + 300);
    service('redis', 'stop');
    let r = await run.done;
    service('redis', 'start');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /redis:latest:[^ ]+ sink: cannot write \d+ row\(s\) to redis:\/\/[^ ]+ after 2 attempts/,
    );
    expect(existsSync(join(state, 'offsets', '1.json'))).toBe(true);
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);
    r = await cli(['run', THREE_SINKS_JOB], fx.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resumed uncommitted plan/);
    await expectThreeSinksExact(fx);

    // MongoDB stops while iteration 2 writes (a slower job: FerretDB serves open connections for a
    // moment while it shuts down).
    await produceEvents(fx, 3000);
    const keysBefore = await redisKeys(fx);
    run = startCli(['run', THREE_SINKS_JOB], { ...fx.env, KRANGE_TEST_DELAY_MS: '1000' });
    await until('iteration 2 writing', async () => (await mongoDocs(fx)).length > 4500 + 300);
    service('mongo', 'stop');
    r = await run.done;
    service('mongo', 'start');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /mongo:[^ ]+ sink: cannot write \d+ document\(s\) to mongodb:\/\/[^ ]+ after 2 attempts/,
    );
    expect(existsSync(join(state, 'commits', '2.json'))).toBe(false);
    expect(keysBefore).toBeGreaterThan(0);
    r = await cli(['run', THREE_SINKS_JOB], fx.env);
    expect(r.code).toBe(0);
    await expectThreeSinksExact(fx);
  });
});
