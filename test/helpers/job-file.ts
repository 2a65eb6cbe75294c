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

/**
 * Writes to `file` a job over the events of a batch fixture (test/helpers/batch.ts) whose transform,
 * the first time it runs in a thread, writes line `frame` of its own stack to `<calls>-<threadId>`:
 * frame 1 is the transform itself (the file it runs from), frame 2 its caller (krange's code).
 */
export function writeStackRecordingJob(
  file: string,
  o: { job: string; topic: string; hdfsDir: string; calls: string; frame: 1 | 2 },
): void {
  writeFileSync(
    file,
    [
      `import { writeFileSync } from 'node:fs';`,
      `import { threadId } from 'node:worker_threads';`,
      `import { defineJob, parquet, t } from ${JSON.stringify(INDEX)};`,
      'let written = false;',
      `export default defineJob({ name: ${JSON.stringify(o.job)}, topics: [${JSON.stringify(o.topic)}],`,
      '  schema: { id: t.int64(), payload: t.utf8(), kafka_partition: t.int32(), kafka_offset: t.int64() },',
      '  transform: (r) => {',
      '    if (!written) {',
      `      const frame = (new Error().stack ?? '').split('\\n')[${o.frame}] ?? '';`,
      `      writeFileSync(${JSON.stringify(o.calls)} + '-' + threadId, frame);`,
      '      written = true;',
      '    }',
      '    const e = r.value as { id: number; payload: string };',
      '    return { id: e.id, payload: e.payload, kafka_partition: r.partition, kafka_offset: r.offset };',
      '  },',
      `  sinks: [parquet({ path: ${JSON.stringify(`webhdfs://${o.hdfsDir}`)} })] });`,
    ].join('\n'),
  );
}
