// The CLI starts from a cached esbuild bundle of itself and the job it names (src/bundle/cli-bundle.ts,
// bin/start-bundle.mjs) while none of their sources changed, and through tsx otherwise: an edited
// job must never run stale.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'krange-cli-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { KRANGE_DEBUG_STARTUP: '1', KRANGE_STATE_DIR: join(dir, 'state') };

function writeJob(file: string, topic: string): void {
  writeFileSync(
    file,
    [
      `import { defineJob, parquet, t } from ${JSON.stringify(resolve('src/index.ts'))};`,
      `export default defineJob({ name: 'bundled', topics: [${JSON.stringify(topic)}], schema: { id: t.int64() },`,
      `  sinks: [parquet({ path: 'file://${dir}/out' })] });`,
    ].join('\n'),
  );
}

const startedFrom = (stderr: string) => /krange: started (from \S+|through tsx)/.exec(stderr)?.[1];

describe('CLI bundle', () => {
  it('starts from the bundle once built, and through tsx again after an edit', async () => {
    // .mts: outside a "type": "module" package, tsx would load a .ts job as CommonJS.
    const job = join(dir, 'bundled.mts');
    writeJob(job, 'krange-bundle-topic-a');
    // Whatever the cache holds, this run (re)builds the bundle for this job if needed.
    await cli(['plan', job], env);
    const second = await cli(['plan', job], env);
    expect(startedFrom(second.stderr)).toMatch(/^from .*krange-cli/);
    expect(second.stderr).toMatch(/krange-bundle-topic-a/);

    // An edit of the job: the next command must not run the old code.
    writeJob(job, 'krange-bundle-topic-b-edited');
    const edited = await cli(['plan', job], env);
    expect(startedFrom(edited.stderr)).toBe('through tsx');
    expect(edited.stderr).toMatch(/krange-bundle-topic-b-edited/);
    const again = await cli(['plan', job], env);
    expect(startedFrom(again.stderr)).toMatch(/^from /);
    expect(again.stderr).toMatch(/krange-bundle-topic-b-edited/);
    expect(again.code).toBe(edited.code);
  });

  it('loads a job the bundle does not hold through tsx, and can be turned off', async () => {
    await cli(['jobs'], env);
    const listed = await cli(['jobs'], env);
    expect(startedFrom(listed.stderr)).toMatch(/^from /);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/clickstream/);
    const off = await cli(['jobs'], { ...env, KRANGE_CLI_BUNDLE: '0' });
    expect(startedFrom(off.stderr)).toBe('through tsx');
    expect(off.stdout).toBe(listed.stdout);
  });
});
