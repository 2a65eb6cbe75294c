// The demo job with a JavaScript transform (jobs/clickstream.ts, the JSON.parse path) and in
// declarative form (jobs/clickstream-columns.ts, fields read straight from the bytes) write the same
// Parquet from the same topic: byte for byte, and by a DuckDB checksum over every column.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clickEvent } from '../../../src/demo/clickstream-events.ts';
import { cli } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const N = 3000;

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : [p];
    })
    .filter((p) => p.endsWith('.parquet'))
    .sort();
}

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
    for (const [kind, job, fast] of [
      ['js', 'jobs/clickstream.ts', '0'],
      ['columns', 'jobs/clickstream-columns.ts', '0'],
      ['scanner', 'jobs/clickstream-columns.ts', '1'],
    ] as const) {
      out[kind] = join(root, kind);
      const r = await cli(['run', resolve(job)], {
        KRANGE_CLICKSTREAM_TOPIC: topic,
        KRANGE_CLICKSTREAM_PATH: `file://${out[kind]}`,
        // The same job name, so the files' key-value metadata is the same too.
        KRANGE_CLICKSTREAM_COLUMNS_JOB: 'clickstream',
        KRANGE_STATE_DIR: join(root, `state-${kind}`),
        KRANGE_FAST_PATH: fast,
      });
      expect(r.code, r.stderr).toBe(0);
    }
    const js = files(out['js']!);
    expect(js.length).toBeGreaterThan(0);
    for (const kind of ['columns', 'scanner']) {
      const other = files(out[kind]!);
      expect(other.map((f) => relative(out[kind]!, f))).toEqual(js.map((f) => relative(out['js']!, f)));
      for (const [i, f] of js.entries()) {
        expect(readFileSync(other[i]!).equals(readFileSync(f)), `${kind} ${f}`).toBe(true);
      }
    }

    const sum = async (dir: string) =>
      (
        await query(
          `select count(*)::bigint as n, md5(string_agg(
             concat_ws('|', event_id, user_id, session_id, epoch_ms(ts), url, referrer, country, device,
                       price, array_to_string(tags, ','), kafka_partition, kafka_offset), '\n'
             order by kafka_partition, kafka_offset)) as checksum
           from read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`,
        )
      )[0];
    const a = await sum(out['js']!);
    expect(Number(a?.['n'])).toBe(N);
    expect(await sum(out['columns']!)).toEqual(a);
    expect(await sum(out['scanner']!)).toEqual(a);
  });

  it('plan says which path each job takes, and why', async () => {
    const env = {
      KRANGE_CLICKSTREAM_TOPIC: uniqueName('absent'),
      KRANGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'krange-plan-')),
    };
    await createTopic(env.KRANGE_CLICKSTREAM_TOPIC, 1);
    const columns = await cli(['plan', resolve('jobs/clickstream-columns.ts')], {
      ...env,
      KRANGE_FAST_PATH: '1',
    });
    expect(columns.stdout).toContain('records: fast path');
    const off = await cli(['plan', resolve('jobs/clickstream-columns.ts')], {
      ...env,
      KRANGE_FAST_PATH: '0',
    });
    expect(off.stdout).toContain('the byte scanner could apply (KRANGE_FAST_PATH=1) but is off by default');
    const js = await cli(['plan', resolve('jobs/clickstream.ts')], { ...env, KRANGE_FAST_PATH: '1' });
    expect(js.stdout).toContain('cannot apply because it has a JavaScript transform');
  });
});
