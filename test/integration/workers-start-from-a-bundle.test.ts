// Worker threads start from an esbuild bundle of the job and krange (worker-bundle.ts), with tsx
// only as the fallback: both paths must run a job to the same exactly-once result, and the bundle
// must really be what the workers ran.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { workerBundle } from '../../src/bundle/worker-bundle.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../helpers/batch.ts';
import { cli } from '../helpers/cli.ts';

const silent = pino({ level: 'silent' });

describe('worker bundle', () => {
  it('is built once per job content and starts a worker without tsx', async () => {
    const a = await workerBundle(EVENTS_JOB, silent);
    const b = await workerBundle(EVENTS_JOB, silent);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(existsSync(a!)).toBe(true);
    // Sinks a job does not use stay in chunks of their own, loaded only on demand.
    expect(
      readdirSync(join(a!, '..')).filter((f) => f.startsWith('chunk-') && f.endsWith('.mjs')).length,
    ).toBeGreaterThan(0);
    const msg = await new Promise<{ type: string }>((resolve, reject) => {
      const w = new Worker(a!, {
        workerData: { modulePath: EVENTS_JOB, endpoints: serviceEndpoints(), workerIndex: 0 },
        execArgv: [],
      });
      w.once('message', (m: { type: string }) => {
        void w.terminate();
        resolve(m);
      });
      w.once('error', reject);
    });
    expect(msg.type).toBe('ready');
  });

  it('keeps import.meta.url pointing at the job file, so a job can read files beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-bundle-job-'));
    try {
      writeFileSync(join(dir, 'topic.json'), JSON.stringify({ topic: 'beside-the-job' }));
      const job = join(dir, 'beside.ts');
      writeFileSync(
        job,
        [
          `import { readFileSync } from 'node:fs';`,
          `import { defineJob, parquet, t } from ${JSON.stringify(resolve('src/index.ts'))};`,
          `const { topic } = JSON.parse(readFileSync(new URL('./topic.json', import.meta.url), 'utf8'));`,
          'export default defineJob({ name: topic, topics: [topic], schema: { id: t.int64() },',
          `  sinks: [parquet({ path: 'file:///tmp/krange-beside' })] });`,
        ].join('\n'),
      );
      const bundle = await workerBundle(job, silent);
      expect(bundle).toBeDefined();
      expect(bundle!.startsWith(dir)).toBe(false);
      const msg = await new Promise<{ type: string; error?: { message: string } }>((res, rej) => {
        const w = new Worker(bundle!, {
          workerData: { modulePath: job, endpoints: serviceEndpoints(), workerIndex: 0 },
          execArgv: [],
        });
        w.once('message', (m: { type: string; error?: { message: string } }) => {
          void w.terminate();
          res(m);
        });
        w.once('error', rej);
      });
      expect(msg.error?.message).toBeUndefined();
      expect(msg.type).toBe('ready');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a job exactly once from the bundle and from the tsx fallback', async () => {
    for (const bundle of ['1', '0']) {
      const f = await batchFixture(2);
      await produceEvents(f, 3000);
      const r = await cli(['run', EVENTS_JOB], {
        ...f.env,
        KRANGE_WORKER_BUNDLE: bundle,
        KRANGE_LOG_LEVEL: 'debug',
      });
      expect(r.code, r.stderr).toBe(0);
      const used = /worker bundle ready/.test(r.stdout + r.stderr);
      expect(used).toBe(bundle === '1');
      await expectExactlyOnce(f);
    }
  });
});
