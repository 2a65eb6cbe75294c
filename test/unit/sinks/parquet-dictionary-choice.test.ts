// String columns whose values are mostly distinct are written without a dictionary; the rest keep
// one. Checked in the file itself: DuckDB's parquet_metadata lists each column chunk's encodings.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { t } from '../../../src/job/schema.ts';
import { openParquetWriter } from '../../../src/sinks/parquet/parquet-encoder.ts';
import { mostlyDistinctStrings } from '../../../src/sinks/parquet/parquet-sink.ts';
import { CheckedBatcher } from '../../helpers/checked-batcher.ts';
import { query } from '../../helpers/duckdb.ts';

const dir = mkdtempSync(join(tmpdir(), 'krange-dict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const schema = { id: t.utf8(), country: t.utf8(), half: t.utf8(), n: t.int64() };

function batchOf(rows: number) {
  const b = new CheckedBatcher(schema);
  for (let i = 0; i < rows; i++) {
    b.append({
      id: `evt-${i}-${(i * 7919) % 10007}`,
      country: ['DE', 'FR', 'US'][i % 3],
      half: `h${i % (rows / 4)}`,
      n: i,
    });
  }
  return b.flush();
}

describe('dictionary choice', () => {
  it('picks the mostly-distinct string columns from a sample', () => {
    expect(mostlyDistinctStrings(batchOf(4000), ['id', 'country', 'half'])).toEqual(['id']);
    // Too few rows to judge: keep the encoder's default.
    expect(mostlyDistinctStrings(batchOf(40), ['id', 'country'])).toEqual([]);
  });

  it('writes those columns PLAIN and the others with a dictionary, with the same values', async () => {
    const batch = batchOf(4000);
    const file = join(dir, 'x.parquet');
    const w = openParquetWriter({
      compression: 'snappy',
      rowGroupSize: 100_000,
      plainColumns: mostlyDistinctStrings(batch, ['id', 'country', 'half']),
    });
    const done = pipeline(w.output, createWriteStream(file));
    await w.write(batch);
    w.close();
    await done;
    const meta = await query(
      `select path_in_schema as col, encodings from parquet_metadata('${file}') order by col`,
    );
    const enc = Object.fromEntries(meta.map((m) => [String(m['col']), String(m['encodings'])]));
    expect(enc['id']).not.toMatch(/DICTIONARY/);
    expect(enc['country']).toMatch(/DICTIONARY/);
    const rows = await query(
      `select count(*)::int as n, count(distinct id)::int as ids, min(id) as lo from '${file}'`,
    );
    expect(rows[0]).toEqual({ n: 4000, ids: 4000, lo: 'evt-0-0' });
  });
});
