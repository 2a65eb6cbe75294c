// The columnar path's scratch (a task's NDJSON and DuckDB's spill directory, in /dev/shm or
// KRANGE_COLUMNAR_DIR) is gone after a run: each worker removes its own at shutdown, and the first
// task of a run removes what a process that is gone left (a SIGKILLed run), never a live one's.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, logLines } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

/** A pid no process has now. */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

describe('the columnar path', () => {
  it('leaves no scratch behind and removes what a dead run left, but not a live one', async () => {
    const topic = uniqueName('columnar-scratch');
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 40 }, (_, i) => ({
        value: JSON.stringify({ id: i, name: `n${i}` }),
        partition: i % 2,
      })),
    );
    const root = mkdtempSync(join(tmpdir(), 'krange-columnar-scratch-'));
    const scratch = join(root, 'scratch');
    const dead = join(scratch, `krange-columnar-${deadPid()}-1`);
    const live = join(scratch, `krange-columnar-${process.pid}-7`);
    for (const d of [dead, live]) {
      mkdirSync(join(d, 'task-a1'), { recursive: true });
      writeFileSync(join(d, 'task-a1', 'values.ndjson'), '{"id":1}\n');
    }
    const job = writeJobFile(
      'scratch',
      `{
        name: ${JSON.stringify(uniqueName('scratch'))},
        topics: [${JSON.stringify(topic)}],
        schema: { id: t.int64(), name: t.utf8() },
        columns: {},
        sinks: [parquet({ path: ${JSON.stringify(`file://${join(root, 'out')}`)} })],
      }`,
    );
    const r = await cli(['run', job], {
      KRANGE_STATE_DIR: join(root, 'state'),
      KRANGE_COLUMNAR_DIR: scratch,
      KRANGE_LOG_LEVEL: 'debug',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stderr).filter((l) => l.event === 'task.columnar_declined')).toEqual([]);
    const rows = await query(
      `select count(*)::int as n, count(distinct id)::int as ids from '${join(root, 'out')}/**/*.parquet'`,
    );
    expect(rows).toEqual([{ n: 40, ids: 40 }]);
    expect(readdirSync(scratch)).toEqual([`krange-columnar-${process.pid}-7`]);
  });
});
