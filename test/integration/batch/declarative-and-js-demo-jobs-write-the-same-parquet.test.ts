// The demo job with a JavaScript transform (jobs/clickstream.ts, the JSON.parse path) and in
// declarative form (jobs/clickstream-columns.ts) write the same Parquet from the same topic: on the
// JavaScript paths (JSON.parse, byte scanner) byte for byte; on the columnar path (DuckDB, the
// declarative job's default) the same data by a DuckDB checksum over every column.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clickEvent } from '../../../src/demo/clickstream-events.ts';
import { cli } from '../../helpers/cli.ts';
import { localParquetFiles, query } from '../../helpers/duckdb.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const N = 3000;

describe('declarative and JS demo jobs', () => {
  it('write the same Parquet', async () => {
    const topic = uniqueName('demo-same');
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: N }, (_, i) => {
        const e = clickEvent(i);
        return { key: String(e.user_id), value: JSON.stringify(e) };
      }),
    );
    const root = mkdtempSync(join(tmpdir(), 'krange-demo-same-'));
    const out: Record<string, string> = {};
    for (const [kind, job, fast, columnar] of [
      ['js', 'jobs/clickstream.ts', '0', '1'],
      ['columns', 'jobs/clickstream-columns.ts', '0', '0'],
      ['scanner', 'jobs/clickstream-columns.ts', '1', '0'],
      ['columnar', 'jobs/clickstream-columns.ts', '0', '1'],
    ] as const) {
      out[kind] = join(root, kind);
      const r = await cli(['run', resolve(job)], {
        KRANGE_CLICKSTREAM_TOPIC: topic,
        KRANGE_CLICKSTREAM_PATH: `file://${out[kind]}`,
        // The same job name, so the files' key-value metadata is the same too.
        KRANGE_CLICKSTREAM_COLUMNS_JOB: 'clickstream',
        KRANGE_STATE_DIR: join(root, `state-${kind}`),
        KRANGE_FAST_PATH: fast,
        KRANGE_COLUMNAR: columnar,
      });
      expect(r.code, r.stderr).toBe(0);
    }
    const js = localParquetFiles(out['js']!);
    expect(js.length).toBeGreaterThan(0);
    for (const kind of ['columns', 'scanner']) {
      const other = localParquetFiles(out[kind]!);
      expect(other.map((f) => relative(out[kind]!, f))).toEqual(js.map((f) => relative(out['js']!, f)));
      for (const [i, f] of js.entries()) {
        expect(readFileSync(other[i]!).equals(readFileSync(f)), `${kind} ${f}`).toBe(true);
      }
    }

    const sum = async (dir: string, glob = `${dir}/**/*.parquet`) =>
      (
        await query(
          `select count(*)::bigint as n, md5(string_agg(
             concat_ws('|', event_id, user_id, session_id, epoch_ms(ts), url, referrer, country, device,
                       price, array_to_string(tags, ','), kafka_partition, kafka_offset), '\n'
             order by kafka_partition, kafka_offset)) as checksum
           from read_parquet('${glob}', hive_partitioning = true)`,
        )
      )[0];
    const a = await sum(out['js']!);
    expect(Number(a?.['n'])).toBe(N);
    expect(await sum(out['columns']!)).toEqual(a);
    expect(await sum(out['scanner']!)).toEqual(a);
    // Same directories and file names on the columnar path, the same rows in each file.
    const columnar = localParquetFiles(out['columnar']!);
    expect(columnar.map((f) => relative(out['columnar']!, f))).toEqual(
      js.map((f) => relative(out['js']!, f)),
    );
    expect(await sum(out['columnar']!)).toEqual(a);
    for (const [i, f] of js.entries()) expect(await sum('', columnar[i]!)).toEqual(await sum('', f));
    // Written by DuckDB, i.e. the columnar path ran (it did not give the tasks back).
    const writers = await query(
      `select distinct created_by from parquet_file_metadata('${out['columnar']}/**/*.parquet')`,
    );
    expect(writers.map((w) => String(w['created_by']))).toEqual([expect.stringMatching(/^DuckDB/)]);
  });

  it('plan says which path each job takes, and why', async () => {
    const env = {
      KRANGE_CLICKSTREAM_TOPIC: uniqueName('absent'),
      KRANGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'krange-plan-')),
    };
    await createTopic(env.KRANGE_CLICKSTREAM_TOPIC, 1);
    const columnar = await cli(['plan', resolve('jobs/clickstream-columns.ts')], env);
    expect(columnar.stdout).toContain('records: columnar path (DuckDB');
    const json = await cli(['plan', '--json', resolve('jobs/clickstream-columns.ts')], env);
    expect(JSON.parse(json.stdout).columnar).toEqual({ applies: true, enabled: true });
    const columns = await cli(['plan', resolve('jobs/clickstream-columns.ts')], {
      ...env,
      KRANGE_COLUMNAR: '0',
      KRANGE_FAST_PATH: '1',
    });
    expect(columns.stdout).toContain(
      'records: JavaScript path (KRANGE_COLUMNAR=0); the columnar path (DuckDB) could apply',
    );
    expect(columns.stdout).toContain('records: fast path');
    const off = await cli(['plan', resolve('jobs/clickstream-columns.ts')], {
      ...env,
      KRANGE_COLUMNAR: '0',
      KRANGE_FAST_PATH: '0',
    });
    expect(off.stdout).toContain('the byte scanner could apply (KRANGE_FAST_PATH=1) but is off by default');
    const js = await cli(['plan', resolve('jobs/clickstream.ts')], { ...env, KRANGE_FAST_PATH: '1' });
    expect(js.stdout).toContain(
      'the columnar path (DuckDB) cannot apply because it has a JavaScript transform',
    );
    expect(js.stdout).toContain('cannot apply because it has a JavaScript transform');
    const jsJson = await cli(['plan', '--json', resolve('jobs/clickstream.ts')], env);
    expect(JSON.parse(jsJson.stdout).columnar).toMatchObject({ applies: false, enabled: false });
  });
});
