// The columnar path (DuckDB) takes a declarative JSON job's task only when it can vouch for every
// record; a value JSON.parse would refuse (here a trailing comma, which DuckDB's reader accepts and
// the walker, records/json-walker.ts, does not) makes it give the task back (task.columnar_declined, with the task and the reason), and the
// JavaScript path applies the job's bad-record policy: the good rows are written, the bad one skipped.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, logLines } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

describe('the columnar path', () => {
  it('gives back a task holding a value it cannot vouch for, and the JavaScript path runs it', async () => {
    const topic = uniqueName('columnar-decline');
    await createTopic(topic, 1);
    await produce(topic, [
      { value: '{"id":1,"name":"a"}' },
      { value: '{"id":2,"name":"b",}' },
      { value: '{"id":3,"name":"c"}' },
    ]);
    const root = mkdtempSync(join(tmpdir(), 'krange-columnar-decline-'));
    const job = writeJobFile(
      'declined',
      `{
        name: ${JSON.stringify(uniqueName('declined'))},
        topics: [${JSON.stringify(topic)}],
        schema: { id: t.int64(), name: t.utf8() },
        columns: {},
        sinks: [parquet({ path: ${JSON.stringify(`file://${join(root, 'out')}`)} })],
        onBadRecord: 'skip',
      }`,
    );
    const r = await cli(['run', job], { KRANGE_STATE_DIR: join(root, 'state'), KRANGE_LOG_LEVEL: 'debug' });
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stderr).filter((l) => l.event === 'task.columnar_declined')).toEqual([
      expect.objectContaining({
        task: expect.stringContaining(topic),
        reason: expect.stringContaining('at offset 1: not a JSON object that JSON.parse accepts'),
      }),
    ]);
    const rows = await query(`select id, name from '${join(root, 'out')}/**/*.parquet' order by id`);
    expect(rows).toEqual([
      { id: 1n, name: 'a' },
      { id: 3n, name: 'c' },
    ]);
  });
});
