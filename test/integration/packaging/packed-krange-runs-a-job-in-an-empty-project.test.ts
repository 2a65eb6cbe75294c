// krange is a package a user installs: `npm pack` here, `npm install <tgz>` in an empty folder
// (from the npm cache where it can), a job.mts there importing from 'krange', and `npx krange run`
// against the real Kafka. DuckDB reads the Parquet it wrote; the commit file agrees.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from '../../helpers/duckdb.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const root = mkdtempSync(join(tmpdir(), 'krange-packed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('close', (code) => res({ code, out }));
  });
}

describe('the packed krange', () => {
  it('installs into an empty folder and runs a job.mts that imports from krange', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const packs = join(root, 'packs');
    mkdirSync(packs);
    const pack = await run('npm', ['pack', '--pack-destination', packs, '--loglevel=error'], resolve('.'));
    expect(pack.code, pack.out).toBe(0);
    const tgz = join(packs, `krange-${version}.tgz`);
    expect(readdirSync(packs)).toEqual([`krange-${version}.tgz`]);

    const project = join(root, 'project');
    const npm = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    mkdirSync(project);
    const install = await run('npm', ['install', tgz, ...npm], project);
    expect(install.code, install.out).toBe(0);

    const topic = uniqueName('packed');
    await createTopic(topic, 2);
    const n = 500;
    await produce(
      topic,
      Array.from({ length: n }, (_, i) => ({
        key: `k${i % 7}`,
        value: JSON.stringify({ id: i, name: `n-${i}` }),
      })),
    );
    const out = join(project, 'out');
    writeFileSync(
      join(project, 'job.mts'),
      [
        `import { defineJob, parquet, t } from 'krange';`,
        '',
        'export default defineJob({',
        `  name: 'packed',`,
        `  topics: [${JSON.stringify(topic)}],`,
        '  schema: { id: t.int64(), name: t.utf8(), kafka_offset: t.int64() },',
        '  transform: (r) => ({ ...(r.value as { id: number; name: string }), kafka_offset: r.offset }),',
        `  sinks: [parquet({ path: ${JSON.stringify(`file://${out}`)} })],`,
        '});',
      ].join('\n'),
    );
    const state = join(project, 'state');
    const env = { KRANGE_STATE_DIR: state, KRANGE_LOG_FORMAT: 'json' };
    const shown = await run('npx', ['krange', '--version'], project);
    expect(shown.out.trim()).toBe(version);
    const r = await run('npx', ['krange', 'run', './job.mts', '--json'], project, env);
    expect(r.code, r.out).toBe(0);

    const [row] = await query(
      `select count(*)::bigint as n, count(distinct id)::bigint as ids, min(id)::bigint as lo, max(id)::bigint as hi,
              count(*) filter (where name = 'n-' || id::varchar)::bigint as named
       from read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.['n'])).toBe(n);
    expect(Number(row?.['ids'])).toBe(n);
    expect([Number(row?.['lo']), Number(row?.['hi'])]).toEqual([0, n - 1]);
    expect(Number(row?.['named'])).toBe(n);
    const commit = JSON.parse(readFileSync(join(state, 'packed', 'commits', '0.json'), 'utf8')) as {
      records: number;
      rows: number;
      ranges: { topic: string }[];
    };
    expect(commit.records).toBe(n);
    expect(commit.rows).toBe(n);
    expect(new Set(commit.ranges.map((x) => x.topic))).toEqual(new Set([topic]));
  });
});
