// The same topic of awkward values (test/helpers/awkward-json.ts: unicode, escapes, nulls,
// exponents, int64 edges, nested lists, missing fields, malformed JSON, invalid UTF-8) read by a
// declarative job on the columnar path (the default) and with KRANGE_COLUMNAR=0: the same rows
// (DuckDB checksum), the same dead letters line for line (reasons included), the same counts. The
// partition of ordinary values is written by DuckDB; the one holding bad records was given back to
// the JavaScript path, whose files krange's own encoder writes.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWKWARD_BYTES, ORDINARY } from '../../helpers/awkward-json.ts';
import { cli } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

describe('columnar and JavaScript paths', () => {
  it('give the same rows, bad records and dead letters', async () => {
    const topic = uniqueName('columnar-same');
    await createTopic(topic, 2);
    // Partition 0: ordinary values the JavaScript path accepts (plus tombstones); partition 1: all of the corpus.
    const ordinary = ORDINARY.filter((s) => !s.startsWith(' ') && s !== '{}' && !s.includes('"id":7,"id":8'));
    await produce(topic, [
      ...ordinary.map((value) => ({ value, partition: 0 })),
      { value: null as unknown as string, partition: 0 },
      ...AWKWARD_BYTES.map((value) => ({ value, partition: 1 })),
    ]);
    const root = mkdtempSync(join(tmpdir(), 'krange-columnar-same-'));
    const body = (out: string, dl: string) => `{
      name: 'columnar-same',
      topics: [${JSON.stringify(topic)}],
      schema: {
        id: t.int64(), name: t.nullable(t.utf8()), price: t.nullable(t.float64()), n: t.nullable(t.int32()),
        ok: t.nullable(t.bool()), at: t.nullable(t.timestamp('ms')), tags: t.nullable(t.list(t.utf8())),
        part: t.int32(), off: t.int64(), user: t.nullable(t.utf8()),
      },
      columns: { part: { kafka: 'partition' }, off: { kafka: 'offset' }, user: 'user_name' },
      onBadRecord: { deadLetter: { path: ${JSON.stringify(dl)} } },
      sinks: [parquet({ path: ${JSON.stringify(out)}, partitionBy: { field: 'at', format: 'date' } })],
    }`;
    const runs: Record<string, { out: string; dl: string; stdout: string }> = {};
    for (const [kind, columnar] of [
      ['columnar', '1'],
      ['javascript', '0'],
    ] as const) {
      const out = join(root, `out-${kind}`);
      const dl = join(root, `dl-${kind}`);
      const job = writeJobFile('columnar-same', body(out, dl), join(root, `job-${kind}`));
      const r = await cli(['run', job], {
        KRANGE_STATE_DIR: join(root, `state-${kind}`),
        KRANGE_COLUMNAR: columnar,
      });
      expect(r.code, r.stderr).toBe(0);
      runs[kind] = { out, dl, stdout: r.stdout };
    }
    const c = runs['columnar']!;
    const js = runs['javascript']!;
    const counts = (s: string) => s.match(/records +[\d,]+( \([\d,]+ bad\))?/)?.[0];
    expect(counts(c.stdout)).toBeDefined();
    expect(counts(c.stdout)).toBe(counts(js.stdout));

    // The same dead letters, file for file and line for line.
    const dead = (dir: string) => filesUnder(dir).map((f) => [relative(dir, f), readFileSync(f, 'utf8')]);
    expect(dead(c.dl).length).toBeGreaterThan(0);
    expect(dead(c.dl)).toEqual(dead(js.dl));

    const sum = async (dir: string) =>
      (
        await query(
          `select count(*)::bigint as n, md5(string_agg(concat_ws('|', id, name, price, n, ok, epoch_ms("at"),
             array_to_string(tags, ','), part, off, "user"), '\n' order by part, off)) as checksum
           from read_parquet('${dir}/**/*.parquet', hive_partitioning = false)`,
        )
      )[0];
    expect(Number((await sum(js.out))?.['n'])).toBeGreaterThan(20);
    expect(await sum(c.out)).toEqual(await sum(js.out));
    expect(filesUnder(c.out).map((f) => relative(c.out, f))).toEqual(
      filesUnder(js.out).map((f) => relative(js.out, f)),
    );

    // Who wrote each partition's files: DuckDB for the ordinary one, krange's encoder for the other.
    const writers = await query(
      `select distinct regexp_extract(file_name, 'part-.*-(\\d)-\\d+-\\d+\\.parquet', 1) as p, created_by
       from parquet_file_metadata('${c.out}/**/*.parquet') order by p`,
    );
    expect(writers.map((w) => [w['p'], String(w['created_by']).replace(/^DuckDB.*/, 'DuckDB')])).toEqual([
      ['0', 'DuckDB'],
      ['1', 'krange'],
    ]);
  });
});
