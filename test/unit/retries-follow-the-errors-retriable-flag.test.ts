// The one retry doctrine (src/retry.ts): an error's `retriable` flag (or its code's default) decides,
// a time budget bounds the retries, the wait is exponential backoff with jitter. A fake clock runs a
// two-minute budget in no time; the WebHDFS cases talk to real sockets on 127.0.0.1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Errors, KrangeError, RETRIABLE_BY_DEFAULT, toKrangeError } from '../../src/errors.ts';
import { WebHdfsClient } from '../../src/fs/webhdfs-client.ts';
import {
  backoffDelay,
  type Clock,
  RetriesExhausted,
  retryBudgetMs,
  transientWhen,
  withRetries,
  writeFailure,
} from '../../src/retry.ts';
import { isTransientMongoError } from '../../src/sinks/mongo/mongo-docs.ts';
import { afterFailedAttempt } from '../../src/worker/worker-pool.ts';

/** Time that passes only when a retry waits. */
function fakeClock(): Clock & { t: number; waits: number[] } {
  const c = {
    t: 1_000_000,
    waits: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.waits.push(ms);
      c.t += ms;
    },
  };
  return c;
}

const mongoClassify = transientWhen(isTransientMongoError, 'KRANGE_SINK');
const sinkContext = {
  sink: 'mongo:db.c',
  target: 'mongodb://127.0.0.1:1/db.c',
  server: 'mongodb://127.0.0.1:1/db.c',
  unwritten: '10 document(s)',
  urlVariable: 'KRANGE_MONGO_URL',
  where: { task: 't-0' },
};

describe('backoff', () => {
  it('doubles from the base up to the cap, with jitter of +-25 %', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 100, 1000, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(75);
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(125);
  });
});

describe('a sink error decides its own retry', () => {
  it('attempts a non-retriable sink error once, and the pool does not run the task again', async () => {
    const clock = fakeClock();
    let calls = 0;
    // What createIndexes answers when an index of that name exists with other options.
    const conflict = new MongoServerError({
      code: 85,
      errmsg: 'Index already exists with different options',
    });
    const thrown = await withRetries(
      async () => {
        calls++;
        throw conflict;
      },
      { budgetMs: 120_000, maxRetries: 5, classify: mongoClassify, clock },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(clock.waits).toEqual([]);
    expect(thrown).toBe(conflict);
    const reported = writeFailure(thrown, sinkContext);
    expect(reported.code).toBe('KRANGE_SINK');
    expect(reported.retriable).toBe(false);
    // After crossing the thread boundary the pool decides from the same flag: no second attempt.
    const decision = afterFailedAttempt('t-0', reported, 1, 3);
    expect(decision).toEqual({ fail: reported });
  });

  it('retries a retriable sink error until the time budget is spent, then the task is retried', async () => {
    const clock = fakeClock();
    const started = clock.now();
    let calls = 0;
    const retried: number[] = [];
    const thrown = await withRetries(
      async () => {
        calls++;
        throw new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1');
      },
      {
        budgetMs: 10_000,
        classify: mongoClassify,
        clock,
        random: () => 0.5,
        onRetry: (err, attempt) => {
          expect(err.retriable).toBe(true);
          retried.push(attempt);
        },
      },
    ).catch((e: unknown) => e);
    // 200 + 400 + 800 + 1600 + 3200 ms, then the last wait cut to what is left of 10 s.
    expect(clock.waits).toEqual([200, 400, 800, 1600, 3200, 3800]);
    expect(clock.now() - started).toBe(10_000);
    expect(calls).toBe(7);
    expect(retried).toEqual([1, 2, 3, 4, 5, 6]);
    expect(thrown).toBeInstanceOf(RetriesExhausted);
    expect((thrown as RetriesExhausted).attempts).toBe(7);
    expect((thrown as RetriesExhausted).elapsedMs).toBe(10_000);
    const reported = writeFailure(thrown, sinkContext);
    expect(reported.retriable).toBe(true);
    expect(reported.message).toContain('after 7 attempts in 10.0 s');
    const decision = afterFailedAttempt('t-0', reported, 1, 3);
    expect('retryInMs' in decision && decision.retryInMs).toBeGreaterThanOrEqual(375);
    // The last attempt of the task fails the iteration with KRANGE_TASK_FAILED.
    const last = afterFailedAttempt('t-0', reported, 3, 3);
    expect('fail' in last && last.fail.code).toBe('KRANGE_TASK_FAILED');
  });

  it('stops at the sink`s retries count when it comes before the budget, and returns the first success', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new MongoNetworkError('socket closed');
        },
        { budgetMs: 120_000, maxRetries: 2, classify: mongoClassify, clock },
      ),
    ).rejects.toBeInstanceOf(RetriesExhausted);
    expect(calls).toBe(3);
    let n = 0;
    const v = await withRetries(
      async (attempt) => {
        if (++n < 3) throw new MongoNetworkError('socket closed');
        return `ok at ${attempt}`;
      },
      { budgetMs: 120_000, classify: mongoClassify, clock },
    );
    expect(v).toBe('ok at 3');
  });
});

describe('the default per code', () => {
  it('takes a code`s default when the thrower does not say, and its own flag when it does', () => {
    expect(new KrangeError('KRANGE_CONFIG', 'x').retriable).toBe(false);
    expect(new KrangeError('KRANGE_SINK', 'x').retriable).toBe(true);
    expect(new KrangeError('KRANGE_SINK', 'x', { retriable: false }).retriable).toBe(false);
    expect(Errors.badRecord({ topic: 't', partition: 0, offset: '1', reason: 'r' }).retriable).toBe(false);
    expect(
      Errors.dataLoss({ job: 'j', topic: 't', partition: 0, from: '0', to: '1', reason: 'r' }).retriable,
    ).toBe(false);
    expect(Errors.workerExited(2, 134, 't-0').retriable).toBe(true);
    for (const code of Object.keys(RETRIABLE_BY_DEFAULT) as (keyof typeof RETRIABLE_BY_DEFAULT)[])
      expect(new KrangeError(code, 'x').retriable).toBe(RETRIABLE_BY_DEFAULT[code]);
  });

  it('retries a network outage of Node, not a bug', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(toKrangeError(refused).retriable).toBe(true);
    expect(toKrangeError(new TypeError('x is undefined')).retriable).toBe(false);
  });

  it('a dead worker thread names its exit code and task, with its own code', () => {
    const e = Errors.workerExited(1, 134, 'orders-0-0');
    expect(e.code).toBe('KRANGE_WORKER_EXITED');
    expect(e.message).toContain('worker thread 1 exited with code 134 while running task orders-0-0');
    expect(e.details).toEqual({ worker: 1, exitCode: 134, task: 'orders-0-0' });
  });

  it('reads the budget from the job, else KRANGE_RETRY_BUDGET_MS, else two minutes', () => {
    expect(retryBudgetMs(5000, { KRANGE_RETRY_BUDGET_MS: '9' })).toBe(5000);
    expect(retryBudgetMs(undefined, { KRANGE_RETRY_BUDGET_MS: '300000' })).toBe(300_000);
    expect(retryBudgetMs(undefined, {})).toBe(120_000);
    expect(() => retryBudgetMs(undefined, { KRANGE_RETRY_BUDGET_MS: '2m' })).toThrow(
      /KRANGE_RETRY_BUDGET_MS='2m'/,
    );
  });
});

describe('WebHDFS retries within a time budget', () => {
  it('waits out a NameNode that refuses connections for the whole budget, then says so', async () => {
    const port = await closedPort();
    const clock = fakeClock();
    const client = new WebHdfsClient({
      url: `http://127.0.0.1:${port}`,
      user: 'krange',
      retryBudgetMs: 90_000,
      clock,
    });
    const err = (await client
      .delete('/out/_temporary/job/3', { recursive: true })
      .catch((e: unknown) => e)) as KrangeError;
    expect(err.code).toBe('KRANGE_HDFS');
    expect(err.retriable).toBe(true);
    // The old client gave up after 3 retries (1.4 s of waits); now the whole budget is used.
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBe(90_000);
    expect(Number(err.details['attempts'])).toBeGreaterThan(18);
    expect(err.message).toMatch(/still failing after \d+ attempts in 90\.0 s/);
    expect(err.message).toContain('KRANGE_RETRY_BUDGET_MS');
  });

  it('retries safe mode until the NameNode leaves it; a refusal is attempted once', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls++;
      const safe = req.url?.includes('/webhdfs/v1/out') && calls <= 3;
      const denied = req.url?.includes('/webhdfs/v1/secret');
      const status = safe ? 403 : denied ? 403 : 200;
      const body = safe
        ? {
            RemoteException: {
              javaClassName: 'org.apache.hadoop.hdfs.server.namenode.SafeModeException',
              message: 'Name node is in safe mode.',
            },
          }
        : denied
          ? {
              RemoteException: {
                javaClassName: 'org.apache.hadoop.security.AccessControlException',
                message: 'Permission denied',
              },
            }
          : { boolean: true };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const clock = fakeClock();
      const client = new WebHdfsClient({
        url: `http://127.0.0.1:${port}`,
        user: 'krange',
        retryBudgetMs: 60_000,
        clock,
      });
      await client.mkdirs('/out/dt=2026-01-01');
      expect(calls).toBe(4);
      expect(clock.waits).toHaveLength(3);
      calls = 0;
      const err = (await client.mkdirs('/secret/x').catch((e: unknown) => e)) as KrangeError;
      expect(calls).toBe(1);
      expect(err.retriable).toBe(false);
      expect(err.message).toContain('AccessControlException');
    } finally {
      server.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
