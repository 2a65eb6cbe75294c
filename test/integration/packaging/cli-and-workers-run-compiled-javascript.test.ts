// The CLI and the worker threads run krange compiled to JavaScript (dist/, built by scripts/build.mjs); only the
// job module is compiled (job cache, or tsx). A job edited between two commands takes effect at
// once (typescript-jobs-run-from-the-job-cache.test.ts tests the cache itself).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchFixture, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { writeStackRecordingJob } from '../../helpers/job-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'krange-compiled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const INDEX = resolve('dist/index.js');

describe('compiled krange', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('runs a TypeScript job exactly once, its transform called from dist/ in worker threads', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 2000);
    const calls = join(dir, 'calls');
    const job = join(dir, 'compiled.mts');
    // Each worker writes, once, the file of the frame that called its transform.
    writeStackRecordingJob(job, { job: f.job, topic: f.topic, hdfsDir: f.hdfsDir, calls, frame: 2 });
    const r = await cli(['run', job, '--workers', '2'], f.env);
    expect(r.code, r.stderr).toBe(0);
    await expectExactlyOnce(f);
    const written = readdirSync(dir).filter((n) => n.startsWith('calls-'));
    expect(written.length).toBeGreaterThan(0);
    for (const name of written) {
      expect(name).not.toBe('calls-0'); // thread 0 is the driver's main thread
      const caller = readFileSync(join(dir, name), 'utf8');
      expect(caller).toContain(`${resolve('dist')}/`);
      expect(caller).toMatch(/\.js:\d+:\d+\)?$/);
    }
  });

  it('loads the job module afresh on every command', async () => {
    const job = join(dir, 'edited.mts');
    const write = (topic: string): void =>
      writeFileSync(
        job,
        [
          `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
          `export default defineJob({ name: 'edited', topics: [${JSON.stringify(topic)}], schema: { id: t.int64() },`,
          `  sinks: [parquet({ path: 'file://${dir}/out' })] });`,
        ].join('\n'),
      );
    const env = { KRANGE_STATE_DIR: join(dir, 'state') };
    write('krange-compiled-topic-a');
    const first = await cli(['plan', job], env);
    expect(first.stderr).toMatch(/krange-compiled-topic-a/);
    write('krange-compiled-topic-b-edited');
    const edited = await cli(['plan', job], env);
    expect(edited.stderr).toMatch(/krange-compiled-topic-b-edited/);
    expect(edited.stderr).not.toMatch(/krange-compiled-topic-a/);
  });
});
