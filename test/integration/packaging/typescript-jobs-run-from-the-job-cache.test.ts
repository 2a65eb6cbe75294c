// Compiled krange imports a TypeScript job from its job cache (src/job/job-cache.ts): built by the
// driver on the first command, then reused, by the driver and the worker threads, without tsx; an
// edited job is built afresh at once; `import.meta.url` still means the job's own file.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchFixture, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { type CliResult, cli, logLines } from '../../helpers/cli.ts';
import { writeStackRecordingJob } from '../../helpers/job-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'krange-job-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const INDEX = resolve('dist/index.js');
// A project folder with a node_modules of its own: the cache goes inside it.
const project = join(dir, 'project');
const cacheDir = join(project, 'node_modules', '.cache', 'krange-jobs');
mkdirSync(join(project, 'node_modules'), { recursive: true });
const DEBUG = { KRANGE_LOG_LEVEL: 'debug', XDG_CACHE_HOME: join(dir, 'user-cache') };

interface Compiled {
  module: string;
  compiled?: string;
  built?: boolean;
  fallback?: string;
}

/** The driver's `job.compiled` debug lines. */
function compiledLines(r: CliResult): Compiled[] {
  return logLines(r.stdout + r.stderr).filter((l) => l.event === 'job.compiled') as unknown as Compiled[];
}

describe('the job cache', () => {
  it('runs a TypeScript job from the cache on the second command, in the driver and the workers', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 2000);
    const calls = join(dir, 'calls');
    const job = join(project, 'cached.ts');
    // Each worker writes, once, the file its transform runs from (its own stack frame).
    writeStackRecordingJob(job, { job: f.job, topic: f.topic, hdfsDir: f.hdfsDir, calls, frame: 1 });
    const first = await cli(['plan', job], { ...f.env, ...DEBUG });
    expect(first.code, first.stderr).toBe(0);
    expect(compiledLines(first)).toEqual([{ ...compiledLines(first)[0], module: job, built: true }]);
    const cached = compiledLines(first)[0]?.compiled ?? '';
    expect(cached.startsWith(`${cacheDir}/cached-`)).toBe(true);
    expect(existsSync(cached)).toBe(true);

    const second = await cli(['run', job, '--workers', '2'], { ...f.env, ...DEBUG });
    expect(second.code, second.stderr).toBe(0);
    expect(compiledLines(second)).toEqual([{ ...compiledLines(second)[0], compiled: cached, built: false }]);
    await expectExactlyOnce(f);
    const written = readdirSync(dir).filter((n) => n.startsWith('calls-'));
    expect(written.length).toBeGreaterThan(0);
    for (const name of written) {
      expect(name).not.toBe('calls-0'); // thread 0 is the driver's main thread
      expect(readFileSync(join(dir, name), 'utf8')).toContain(`${cached}:`);
    }
  });

  it('builds an edited job afresh at once and keeps the last three builds of a job', async () => {
    const job = join(project, 'edited.mts');
    const helper = join(project, 'edited-topic.ts');
    writeFileSync(
      job,
      [
        `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
        `import { topic } from './edited-topic.ts';`,
        `export default defineJob({ name: 'edited', topics: [topic], schema: { id: t.int64() },`,
        `  sinks: [parquet({ path: 'file://${dir}/out' })] });`,
      ].join('\n'),
    );
    const env = { ...DEBUG, KRANGE_STATE_DIR: join(dir, 'state') };
    const paths: string[] = [];
    for (const topic of [
      'krange-cache-topic-a',
      'krange-cache-topic-b',
      'krange-cache-topic-c',
      'krange-cache-topic-d',
    ]) {
      // Only the local import changes: it is one of the job's sources too.
      writeFileSync(helper, `export const topic: string = ${JSON.stringify(topic)};\n`);
      const r = await cli(['plan', job], env);
      expect(r.stderr).toContain(topic);
      const [line] = compiledLines(r);
      expect(line?.built).toBe(true);
      expect(paths).not.toContain(line?.compiled);
      paths.push(line?.compiled ?? '');
    }
    const kept = readdirSync(cacheDir).filter((n) => n.startsWith('edited-') && n.endsWith('.mjs'));
    expect(kept.sort()).toEqual(
      paths
        .slice(1)
        .map((p) => p.slice(cacheDir.length + 1))
        .sort(),
    );
  });

  it('keeps import.meta.url pointing at the job file, so a job reads a file beside itself', async () => {
    const elsewhere = join(dir, 'elsewhere'); // no node_modules above: the user's cache directory
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'topic.json'), JSON.stringify({ topic: 'krange-cache-beside-the-job' }));
    const job = join(elsewhere, 'beside.ts');
    writeFileSync(
      job,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
        `const { topic } = JSON.parse(readFileSync(new URL('./topic.json', import.meta.url), 'utf8'));`,
        `export default defineJob({ name: 'beside', topics: [topic], schema: { id: t.int64() },`,
        `  sinks: [parquet({ path: 'file://${dir}/beside' })] });`,
      ].join('\n'),
    );
    const env = { ...DEBUG, KRANGE_STATE_DIR: join(dir, 'state-beside') };
    for (const built of [true, false]) {
      const r = await cli(['plan', job], env);
      expect(r.stderr).toContain('krange-cache-beside-the-job');
      const [line] = compiledLines(r);
      expect(line?.built).toBe(built);
      expect(line?.compiled?.startsWith(join(dir, 'user-cache', 'krange', 'jobs'))).toBe(true);
    }
  });

  it('falls back to tsx when the job cannot be cached', async () => {
    const nowhere = join(dir, 'nowhere'); // no node_modules above, and no usable user cache
    mkdirSync(nowhere);
    writeFileSync(join(dir, 'not-a-folder'), '');
    const job = join(nowhere, 'uncached.mts');
    writeFileSync(
      job,
      [
        `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
        `const topic: string = 'krange-cache-through-tsx';`,
        `export default defineJob({ name: 'uncached', topics: [topic], schema: { id: t.int64() },`,
        `  sinks: [parquet({ path: 'file://${dir}/uncached' })] });`,
      ].join('\n'),
    );
    const r = await cli(['plan', job], {
      ...DEBUG,
      XDG_CACHE_HOME: join(dir, 'not-a-folder'),
      KRANGE_STATE_DIR: join(dir, 'state-uncached'),
    });
    expect(r.stderr).toContain('krange-cache-through-tsx');
    expect(compiledLines(r)).toEqual([{ ...compiledLines(r)[0], module: job, fallback: 'tsx' }]);
  });

  it('imports a JavaScript job as it is, with no cache and no loader', async () => {
    const job = join(project, 'plain.mjs');
    writeFileSync(
      job,
      [
        `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
        `export default defineJob({ name: 'plain', topics: ['krange-cache-plain-js'], schema: { id: t.int64() },`,
        `  sinks: [parquet({ path: 'file://${dir}/plain' })] });`,
      ].join('\n'),
    );
    const r = await cli(['plan', job], { ...DEBUG, KRANGE_STATE_DIR: join(dir, 'state-plain') });
    expect(r.stderr).toContain('krange-cache-plain-js');
    expect(compiledLines(r)).toEqual([]);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('plain-'))).toEqual([]);
  });
});
