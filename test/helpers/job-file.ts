// Writes a throw-away job module (.mts) into a fresh directory, importing compiled krange (dist/,
// what the CLI runs) by absolute path, so a test can hand the CLI a job with exactly the options it
// is about.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const INDEX = resolve('dist/index.js');

/** `body` is the object literal passed to defineJob; `defineJob`, sink factories and `t` are in scope. */
export function writeJobFile(name: string, body: string, dir?: string): string {
  const where = dir ?? mkdtempSync(join(tmpdir(), 'krange-job-'));
  mkdirSync(where, { recursive: true });
  const file = join(where, `${name}.mts`);
  writeFileSync(
    file,
    `import { defineJob, parquet, mongo, redis, t } from ${JSON.stringify(INDEX)};\n` +
      `export default defineJob(${body});\n`,
  );
  return file;
}
