import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runScheduler } from '../../../src/batch/scheduler.ts';
import { isKrangeError } from '../../../src/errors.ts';
import { serviceEndpoints } from '../../../src/job/endpoints.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';

const logger = pino({ level: 'silent' });

function job(schedule: { cron: string; timezone?: string } | undefined) {
  const spec = validateJob(
    {
      name: 'sched',
      topics: ['t'],
      schema: { a: t.utf8() },
      sinks: [{ kind: 'parquet', path: '/tmp/x' }],
      ...(schedule ? { schedule } : {}),
    },
    'test',
  );
  return { spec, modulePath: '/jobs/sched.ts', endpoints: serviceEndpoints({}) };
}

async function refusal(jobs: ReturnType<typeof job>[]) {
  const err = await runScheduler({ jobs, logger, once: false, graceMs: 0, handleSignals: false }).catch(
    (e: unknown) => e,
  );
  if (!isKrangeError(err)) throw new Error(`expected a KrangeError, got ${String(err)}`);
  return err;
}

describe('scheduler start-up checks', () => {
  it('needs at least one job', async () => {
    expect((await refusal([])).code).toBe('KRANGE_USAGE');
  });

  it('refuses a job without a schedule, naming its module', async () => {
    const err = await refusal([job(undefined)]);
    expect(err.code).toBe('KRANGE_CONFIG');
    expect(err.message).toMatch(/job 'sched' has no schedule.*\/jobs\/sched\.ts/);
  });

  it('refuses an invalid cron expression or timezone when the job is loaded', () => {
    expect(() => job({ cron: 'every minute' })).toThrow(
      /schedule\.cron: 'every minute' is not a cron expression/,
    );
    expect(() => job({ cron: '* * * * *', timezone: 'Mars/Olympus' })).toThrow(
      /schedule\.timezone: unknown timezone 'Mars\/Olympus'/,
    );
  });

  it('stops at once when asked before anything ran', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(
      runScheduler({
        jobs: [job({ cron: '0 0 1 1 *', timezone: 'Europe/Berlin' })],
        logger,
        once: false,
        graceMs: 0,
        handleSignals: false,
        stop: stop.signal,
      }),
    ).resolves.toBeUndefined();
  });
});
