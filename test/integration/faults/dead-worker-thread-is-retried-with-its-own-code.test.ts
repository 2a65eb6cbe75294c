// A worker thread that dies while it runs a task (here it calls process.exit(7), as an out-of-memory
// kill or a native crash would end it) used to be reported as KRANGE_KAFKA. It is
// KRANGE_WORKER_EXITED, names the thread's exit code and the task, and is retried on a new thread:
// with attempts left the iteration commits every record once (DuckDB); with one attempt it fails
// with that code.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, logLines } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const N = 300;

async function exitingJob(attempts: number) {
  const dir = mkdtempSync(join(tmpdir(), 'krange-exit-'));
  const topic = uniqueName('exit');
  const name = uniqueName('exit-job');
  await createTopic(topic, 1);
  await produce(
    topic,
    Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: i }) })),
  );
  const marker = join(dir, 'exited-once');
  const out = join(dir, 'out');
  const file = join(dir, `${name}.mts`);
  writeFileSync(
    file,
    `import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, parquet, t } from ${JSON.stringify(resolve('src/index.ts'))};
const marker = ${JSON.stringify(marker)};
const always = process.env.KRANGE_TEST_EXIT === 'always';
export default defineJob({
  name: ${JSON.stringify(name)},
  topics: [${JSON.stringify(topic)}],
  schema: { id: t.int64(), kafka_offset: t.int64() },
  transform: (r) => {
    if (always || !existsSync(marker)) {
      writeFileSync(marker, 'x');
      process.exit(7);
    }
    return { id: (r.value as { id: number }).id, kafka_offset: r.offset };
  },
  sinks: [parquet({ path: ${JSON.stringify(`file://${out}`)} })],
  limits: { workers: 1, taskAttempts: ${attempts} },
});
`,
  );
  return { file, marker, out, env: { KRANGE_STATE_DIR: join(dir, 'state'), KRANGE_WORKER_BUNDLE: '0' } };
}

describe('a dead worker thread', () => {
  it('is KRANGE_WORKER_EXITED with its exit code, and its task runs again on a new thread', async () => {
    const j = await exitingJob(3);
    const r = await cli(['run', j.file], j.env);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(j.marker)).toBe(true);
    const retries = logLines(r.stderr).filter((l) => l.event === 'task.retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]?.['code']).toBe('KRANGE_WORKER_EXITED');
    expect(String(retries[0]?.['msg'])).toContain('exited with code 7');
    const [row] = await query(
      `select count(*)::bigint as n, count(distinct id)::bigint as ids, min(id)::bigint as lo, max(id)::bigint as hi
       from read_parquet('${j.out}/**/*.parquet')`,
    );
    expect(Number(row?.['n'])).toBe(N);
    expect(Number(row?.['ids'])).toBe(N);
    expect(Number(row?.['lo'])).toBe(0);
    expect(Number(row?.['hi'])).toBe(N - 1);
  });

  it('fails the iteration with that code once the attempts are spent', async () => {
    const j = await exitingJob(1);
    const r = await cli(['run', j.file], { ...j.env, KRANGE_TEST_EXIT: 'always' });
    expect(r.code).not.toBe(0);
    const failed = logLines(r.stderr).filter((l) => l.event === 'task.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.['code']).toBe('KRANGE_WORKER_EXITED');
    expect(logLines(r.stderr).filter((l) => l.event === 'iteration.failed')).toEqual([
      expect.objectContaining({
        err: expect.objectContaining({ message: expect.stringContaining('exited with code 7') }),
      }),
    ]);
    expect(r.stderr).toContain('worker thread 0 exited with code 7 while running task');
    expect(r.stderr).not.toContain('KRANGE_KAFKA');
  });
});
