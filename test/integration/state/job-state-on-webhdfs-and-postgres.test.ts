// The events job with its state on HDFS (WebHDFS) and on PostgreSQL: a local history is migrated
// into the store (a second migration is refused), the job then runs with `stateStore` naming it,
// and `state`, `rerun` and `reset` work against it. The files in the store are read with
// independent readers: curl on WebHDFS (LISTSTATUS, OPEN) and psql; the Parquet output with DuckDB.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { uniqueName } from '../../helpers/kafka.ts';
import { psql } from '../../helpers/pg-kafka.ts';

const webhdfs = process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';

function curlJson(path: string, op: string): unknown {
  const url = `${webhdfs}/webhdfs/v1${path}?op=${op}&user.name=krange`;
  return JSON.parse(execFileSync('curl', ['-sfL', url], { encoding: 'utf8' }));
}

/** The store's files of a job, read without krange: name -> text. */
interface Reader {
  list(job: string, folder: string): string[];
  read(job: string, file: string): string | undefined;
}

function hdfsReader(root: string): Reader {
  return {
    list: (job, folder) =>
      (
        curlJson(`${root}/${job}/${folder}`, 'LISTSTATUS') as {
          FileStatuses: { FileStatus: { pathSuffix: string }[] };
        }
      ).FileStatuses.FileStatus.map((s) => s.pathSuffix)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    read: (job, file) => {
      try {
        return execFileSync(
          'curl',
          ['-sfL', `${webhdfs}/webhdfs/v1${root}/${job}/${file}?op=OPEN&user.name=krange`],
          { encoding: 'utf8' },
        );
      } catch {
        return undefined;
      }
    },
  };
}

const pgReader: Reader = {
  list: (job, folder) =>
    psql(`SELECT path FROM krange_state WHERE path LIKE '${job}/${folder}/%' ORDER BY path`)
      .map((r) => (r[0] ?? '').slice(`${job}/${folder}/`.length))
      .filter((n) => !n.includes('/'))
      .sort(),
  read: (job, file) => {
    const out = execFileSync(
      'psql',
      [
        process.env['KRANGE_PG_URL'] ?? '',
        '-X',
        '-At',
        '-c',
        `SELECT body FROM krange_state WHERE path = '${job}/${file}'`,
      ],
      { encoding: 'utf8' },
    );
    // psql adds one newline after the value; an absent row prints nothing.
    return out === '' ? undefined : out.slice(0, -1);
  },
};

const stores: [string, () => { url: string; reader: Reader }][] = [
  [
    'webhdfs',
    () => {
      const root = `/krange-test/${uniqueName('state-store')}`;
      return { url: `webhdfs://${root}`, reader: hdfsReader(root) };
    },
  ],
  ['postgres', () => ({ url: 'postgres:', reader: pgReader })],
];

const jobBody = (stateStore: string | undefined) => `{
  name: process.env.KRANGE_TEST_JOB,
  topics: [process.env.KRANGE_TEST_TOPIC],
  schema: { id: t.int64(), payload: t.utf8(), kafka_partition: t.int32(), kafka_offset: t.int64() },
  transform: (r) => ({ id: r.value.id, payload: r.value.payload, kafka_partition: r.partition, kafka_offset: r.offset }),
  sinks: [parquet({ path: process.env.KRANGE_TEST_OUT })],
  limits: { workers: 1 },
  ${stateStore === undefined ? '' : `stateStore: ${JSON.stringify(stateStore)},`}
}`;

describe.each(stores)('job state in %s', (_name, storeOf) => {
  it('migrates a local history, then runs, shows, reruns and resets with the state in the store', async () => {
    const { url, reader } = storeOf();
    const f = await batchFixture(2);
    const local = writeJobFile('local-state', jobBody(undefined));
    await produceEvents(f, 300);
    expect((await cli(['run', local], f.env)).code).toBe(0);
    await produceEvents(f, 200);
    expect((await cli(['run', local], f.env)).code).toBe(0);
    const localDir = join(f.stateDir, f.job);
    expect(existsSync(join(localDir, 'commits', '1.json'))).toBe(true);

    const migrated = await cli(['state', local, 'migrate', '--to', url], f.env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(`stateStore: '${url}'`);
    expect(reader.list(f.job, 'offsets')).toEqual(['0.json', '1.json']);
    expect(reader.list(f.job, 'commits')).toEqual(['0.json', '1.json']);
    for (const file of ['metadata.json', 'offsets/1.json', 'commits/1.json', 'attempts/1.json'])
      expect(reader.read(f.job, file), file).toBe(readFileSync(join(localDir, file), 'utf8'));
    expect(reader.read(f.job, 'lock.json')).toBeUndefined();

    // A second migration into a store that already holds the job is refused.
    const again = await cli(['state', local, 'migrate', '--to', url], f.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds state');

    // The job now names the store: the next iteration continues from the migrated position there.
    const remote = writeJobFile('remote-state', jobBody(url));
    await produceEvents(f, 250);
    const run = await cli(['run', remote], f.env);
    expect(run.code, run.stderr).toBe(0);
    expect(reader.list(f.job, 'commits')).toEqual(['0.json', '1.json', '2.json']);
    expect(existsSync(join(localDir, 'commits', '2.json'))).toBe(false);
    const commit2 = JSON.parse(reader.read(f.job, 'commits/2.json') ?? '{}');
    expect(commit2.records).toBe(250);
    expect(JSON.parse(reader.read(f.job, 'lock-generations/1.json') ?? '{}')).toMatchObject({
      generation: 1,
      released: true,
    });
    await expectExactlyOnce(f);

    const state = await cli(['state', remote, '--json'], f.env);
    expect(state.code).toBe(0);
    const shown = JSON.parse(state.stdout);
    expect(shown.dir).toContain(url === 'postgres:' ? 'postgres:' : url);
    expect(shown.iterations.map((i: { status: string }) => i.status)).toEqual([
      'committed',
      'committed',
      'committed',
    ]);

    const rerun = await cli(['rerun', remote, '--iteration', '1'], f.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(reader.list(f.job, 'reruns')).toHaveLength(1);
    await expectExactlyOnce(f);

    const reset = await cli(['reset', remote, '--to', 'latest', '--yes'], f.env);
    expect(reset.code, reset.stderr).toBe(0);
    const plan3 = JSON.parse(reader.read(f.job, 'offsets/3.json') ?? '{}');
    expect(plan3.kind).toBe('reset');
    expect(reader.list(f.job, 'commits')).toEqual(['0.json', '1.json', '2.json', '3.json']);
    const noop = await cli(['run', remote], f.env);
    expect(noop.code).toBe(0);
    expect(reader.list(f.job, 'offsets')).toEqual(['0.json', '1.json', '2.json', '3.json']);
  });
});
