// `krange jobs` lists a job's declared `name`, but run, plan and state used to take only its file
// name. Both are accepted now; a name says which file it resolved to, and a word that names two
// jobs (one's file, another's declared name) is an error listing both.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

function jobBody(name: string, topic: string, out: string): string {
  return `{
    name: ${JSON.stringify(name)},
    topics: [${JSON.stringify(topic)}],
    schema: { id: t.int64() },
    transform: (r) => ({ id: r.value.id }),
    sinks: [parquet({ path: ${JSON.stringify(`file://${out}`)} })],
  }`;
}

describe('the <job> argument', () => {
  it('is the job name krange jobs lists or its file name, and says which file a name is', async () => {
    const root = mkdtempSync(join(tmpdir(), 'krange-job-arg-'));
    const jobsDir = join(root, 'jobs');
    const name = uniqueName('clicks');
    const topic = uniqueName('t');
    const out = join(root, 'out');
    await createTopic(topic, 1);
    await produce(
      topic,
      [1, 2, 3, 4].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    const file = writeJobFile('nightly-clicks', jobBody(name, topic, out), jobsDir);
    const env = { KRANGE_JOBS_DIR: jobsDir, KRANGE_STATE_DIR: join(root, 'state') };

    const listed = await cli(['jobs'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(name);

    const plan = await cli(['plan', name], env);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(`krange: job '${name}' is ${file}`);
    expect(plan.stdout).toMatch(/iteration 0 would read/);

    const run = await cli(['run', name], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`is ${file}`);
    expect(run.stdout).toMatch(/iteration 0 committed/);
    const rows = await query(`select count(*)::int as n from read_parquet('${out}/**/*.parquet')`);
    expect(rows[0]?.['n']).toBe(4);

    const state = await cli(['state', name, '--json'], env);
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout).iterations[0].status).toBe('committed');

    // The file name keeps working, silently.
    const byFile = await cli(['state', 'nightly-clicks'], env);
    expect(byFile.code).toBe(0);
    expect(byFile.stderr).not.toContain('krange: job');
    expect(byFile.stdout).toMatch(/committed/);

    // A file named like the job, declaring another name: the word is ambiguous.
    const other = writeJobFile(name, jobBody(uniqueName('other'), topic, join(root, 'out2')), jobsDir);
    const ambiguous = await cli(['run', name], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`'${name}' names more than one job`);
    expect(ambiguous.stderr).toContain(file);
    expect(ambiguous.stderr).toContain(other);
    expect(existsSync(join(root, 'out2'))).toBe(false);

    const unknown = await cli(['run', 'no-such-job'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(name);
  });
});
