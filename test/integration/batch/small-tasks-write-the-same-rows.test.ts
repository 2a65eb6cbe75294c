// Cutting a partition's range into many small tasks (maxRecordsPerTask forced small, as the default
// bound cuts a big backlog) changes the files, not the data: on the columnar path and on the
// JavaScript path the rows read back by DuckDB are those of one task per partition, every record
// exactly once, and each task wrote its own file (named by its offsets) in each date directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clickEvent } from '../../../src/demo/clickstream-events.ts';
import { cli } from '../../helpers/cli.ts';
import { localParquetFiles, query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const N = 3000;
const PARTITIONS = 2;
/** 1,500 records a partition in tasks of at most 400: 4 tasks each. */
const SMALL = 400;

/** The demo job (declarative or with its JS transform) with the task size given. */
function job(dir: string, name: string, file: string, maxRecordsPerTask: number): string {
  // The demo job is spread into a new one, so only the task size differs.
  return writeJobFile(
    name,
    `{ ...(await import(${JSON.stringify(resolve(file))})).default, name: 'clickstream',
       limits: { maxRecordsPerTask: ${maxRecordsPerTask}, workers: 2 } }`,
    dir,
  );
}

const sum = async (dir: string) =>
  (
    await query(
      `select count(*)::bigint as n, count(distinct (kafka_partition, kafka_offset))::bigint as distinct_offsets,
         md5(string_agg(
           concat_ws('|', event_id, user_id, session_id, epoch_ms(ts), url, referrer, country, device,
                     price, array_to_string(tags, ','), kafka_partition, kafka_offset, dt), '\n'
           order by kafka_partition, kafka_offset)) as checksum
       from read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`,
    )
  )[0];

describe('small tasks', () => {
  it('write the same rows as one task per partition, on both paths', async () => {
    const topic = uniqueName('small-tasks');
    await createTopic(topic, PARTITIONS);
    await produce(
      topic,
      Array.from({ length: N }, (_, i) => {
        const e = clickEvent(i);
        return { key: String(e.user_id), value: JSON.stringify(e) };
      }),
    );
    const root = mkdtempSync(join(tmpdir(), 'krange-small-tasks-'));
    const out: Record<string, string> = {};
    for (const [kind, file, size] of [
      ['columnar-whole', 'jobs/clickstream-columns.ts', 1_000_000],
      ['columnar-small', 'jobs/clickstream-columns.ts', SMALL],
      ['js-small', 'jobs/clickstream.ts', SMALL],
    ] as const) {
      out[kind] = join(root, kind);
      const r = await cli(['run', job(join(root, 'jobs'), kind, file, size), '--json'], {
        KRANGE_CLICKSTREAM_TOPIC: topic,
        KRANGE_CLICKSTREAM_PATH: `file://${out[kind]}`,
        KRANGE_STATE_DIR: join(root, `state-${kind}`),
      });
      expect(r.code, r.stderr).toBe(0);
      const outcome = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
      expect(outcome.records, kind).toBe(N);
    }
    const whole = await sum(out['columnar-whole']!);
    expect(Number(whole?.['n'])).toBe(N);
    expect(Number(whole?.['distinct_offsets'])).toBe(N);
    expect(await sum(out['columnar-small']!)).toEqual(whole);
    expect(await sum(out['js-small']!)).toEqual(whole);

    // One file per task and date directory: 2 partitions x 4 tasks where the whole run wrote 2.
    const dirs = (d: string) => new Set(localParquetFiles(d).map((f) => f.slice(0, f.lastIndexOf('/'))));
    const wholeFiles = localParquetFiles(out['columnar-whole']!);
    const perDir = dirs(out['columnar-whole']!).size;
    expect(wholeFiles.length).toBe(PARTITIONS * perDir);
    expect(localParquetFiles(out['columnar-small']!).length).toBe(PARTITIONS * 4 * perDir);
    expect(localParquetFiles(out['js-small']!).length).toBe(PARTITIONS * 4 * perDir);
    // The small tasks stayed on the columnar path (DuckDB wrote their files).
    const writers = await query(
      `select distinct created_by from parquet_file_metadata('${out['columnar-small']}/**/*.parquet')`,
    );
    expect(writers.map((w) => String(w['created_by']))).toEqual([expect.stringMatching(/^DuckDB/)]);
  });
});
