// Two job files declaring one `name` used to share state/<name>: the second printed `nothing new`
// and its sink never got data. Now `krange jobs` lists the conflict naming both files, the state
// directory is bound to the first job's topics and sinks, the second is refused (naming the
// directory, what differs and what to do) with nothing written, and `state --rebind` binds it on
// purpose. A state directory of an older release (no identity) is bound by its next run.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, logLines } from '../../helpers/cli.ts';
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

async function ids(out: string): Promise<number[]> {
  if (!existsSync(out)) return [];
  const rows = await query(`select id from read_parquet('${out}/**/*.parquet') order by id`);
  return rows.map((r) => Number(r['id']));
}

describe('two jobs declaring one name', () => {
  it('are listed as a conflict, and the second cannot adopt the first one state', async () => {
    const root = mkdtempSync(join(tmpdir(), 'krange-shared-name-'));
    const jobsDir = join(root, 'jobs');
    const name = uniqueName('shared');
    const [topicA, topicB] = [uniqueName('ta'), uniqueName('tb')];
    await createTopic(topicA, 1);
    await createTopic(topicB, 1);
    await produce(
      topicA,
      [1, 2, 3].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    await produce(
      topicB,
      [11, 12].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    const [outA, outB] = [join(root, 'out-a'), join(root, 'out-b')];
    const fileA = writeJobFile('orders-a', jobBody(name, topicA, outA), jobsDir);
    const fileB = writeJobFile('orders-b', jobBody(name, topicB, outB), jobsDir);
    const env = { KRANGE_JOBS_DIR: jobsDir, KRANGE_STATE_DIR: join(root, 'state') };
    const stateDir = join(root, 'state', name);

    const listed = await cli(['jobs'], env);
    expect(listed.code).toBe(2);
    expect(listed.stdout).toMatch(
      /CONFLICT: job name '.*' is declared by .*orders-a\.mts and .*orders-b\.mts/,
    );

    // The name is ambiguous as a command-line argument too.
    const byName = await cli(['run', name], env);
    expect(byName.code).toBe(2);
    expect(byName.stderr).toContain(fileA);
    expect(byName.stderr).toContain(fileB);

    expect((await cli(['run', fileA], env)).code).toBe(0);
    expect(await ids(outA)).toEqual([1, 2, 3]);
    const meta = JSON.parse(readFileSync(join(stateDir, 'metadata.json'), 'utf8'));
    expect(meta.identity.topics).toEqual([topicA]);

    for (const args of [
      ['run', fileB],
      ['plan', fileB],
      ['reset', fileB, '--to', 'earliest', '--yes'],
    ]) {
      const refused = await cli(args, env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toContain('[KRANGE_STATE_IDENTITY]');
      expect(refused.stderr).toContain(stateDir);
      expect(refused.stderr).toContain(`topic ${topicA} is bound but not in the job`);
      expect(refused.stderr).toContain(`topic ${topicB} is in the job but not bound`);
      expect(refused.stderr).toContain(`krange state ${name} --rebind`);
    }
    expect(existsSync(join(stateDir, 'offsets', '1.json'))).toBe(false);
    expect(await ids(outB)).toEqual([]);
    const shown = await cli(['state', fileB], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/warning: this state directory is bound to another definition/);

    // Rebinding on purpose: B's topic is new, so it is read from its earliest offset.
    const rebound = await cli(['state', fileB, '--rebind'], env);
    expect(rebound.code).toBe(0);
    expect(rebound.stdout).toContain(`is now bound to ${fileB}`);
    expect((await cli(['run', fileB], env)).code).toBe(0);
    expect(await ids(outB)).toEqual([11, 12]);
    expect((await cli(['run', fileA], env)).code).toBe(2);

    // A directory written before identities existed is bound by its next run, which says so.
    const old = JSON.parse(readFileSync(join(stateDir, 'metadata.json'), 'utf8'));
    delete old.identity;
    writeFileSync(join(stateDir, 'metadata.json'), JSON.stringify(old));
    const unbound = await cli(['state', fileA], env);
    expect(unbound.stdout).toMatch(/no job identity yet/);
    const binding = await cli(['run', fileA], env);
    expect(binding.code).toBe(0);
    expect(logLines(binding.stderr).filter((l) => l.event === 'state.bound')).toEqual([
      expect.objectContaining({ dir: stateDir, module: fileA }),
    ]);
    const bound = JSON.parse(readFileSync(join(stateDir, 'metadata.json'), 'utf8'));
    expect(bound.identity.topics).toEqual([topicA]);
    expect(bound.identity.module).toBe(fileA);
  });
});
