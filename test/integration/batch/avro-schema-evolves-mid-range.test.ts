// Confluent-framed Avro written by fastavro (Python) and sent by kcat, with the writer schema
// changing mid-range (v1, then v2 adding a field with a default, then v1 again): a batch job with
// `avro({ schema: v2, schemas: {1, 2, 3} })` reads every record exactly (DuckDB), longs beyond 2^53
// included; a record of an incompatible writer schema (v3) and one with an unknown id are bad
// records whose errors name the field and the id.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import { brokers } from '../../helpers/kafka.ts';

const AVRO_JOB = resolve('test/fixtures/jobs/avro-events.ts');
const WRITER = resolve('test/fixtures/avro/write-confluent-avro.py');

const base = [
  { name: 'id', type: 'long' },
  { name: 'name', type: 'string' },
];
const SCHEMAS = {
  // amount is a float in v1: the v2 reader's double is an Avro promotion.
  'v1.avsc': { type: 'record', name: 'Event', fields: [...base, { name: 'amount', type: 'float' }] },
  'v2.avsc': {
    type: 'record',
    name: 'Event',
    fields: [
      ...base,
      { name: 'amount', type: 'double' },
      { name: 'email', type: 'string', default: 'unknown' },
    ],
  },
  // name became an int: not readable as v2's string.
  'v3.avsc': {
    type: 'record',
    name: 'Event',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'int' },
      { name: 'amount', type: 'double' },
    ],
  },
};

interface Message {
  id: number;
  schema: string;
  record: Record<string, unknown>;
}

describe('Avro with a schema-id map from files', () => {
  it('resolves writer schemas v1 and v2 to the reader mid-range and refuses v3 and unknown ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-avro-'));
    for (const [file, schema] of Object.entries(SCHEMAS))
      writeFileSync(join(dir, file), JSON.stringify(schema));
    const badDir = mkdtempSync(join(tmpdir(), 'krange-avro-bad-'));
    const f = await batchFixture(1, { KRANGE_AVRO_DIR: dir, KRANGE_TEST_BAD_DIR: badDir });

    // ids as decimal strings in the expectations; written as JSON numbers (exact in Python).
    const big = (i: number) => (i % 10 === 0 ? `${9007199254740993n + BigInt(i)}` : String(i));
    const messages: string[] = [];
    const expected: { id: string; name: string; amount: number; email: string }[] = [];
    const add = (schemaId: number, file: string, i: number, email?: string) => {
      const record: Record<string, unknown> = { id: `@${big(i)}@`, name: `user-${i}`, amount: i + 0.5 };
      if (email !== undefined) record['email'] = email;
      const m: Message = { id: schemaId, schema: join(dir, file), record };
      messages.push(JSON.stringify(m).replace(/"@(-?\d+)@"/, '$1'));
      expected.push({ id: big(i), name: `user-${i}`, amount: i + 0.5, email: email ?? 'unknown' });
    };
    for (let i = 0; i < 40; i++) add(1, 'v1.avsc', i);
    for (let i = 40; i < 80; i++) add(2, 'v2.avsc', i, `u${i}@example.com`);
    const badAt = messages.length;
    messages.push(
      JSON.stringify({ id: 3, schema: join(dir, 'v3.avsc'), record: { id: 1, name: 5, amount: 1 } }),
    );
    messages.push(
      JSON.stringify({ id: 7, schema: join(dir, 'v1.avsc'), record: { id: 2, name: 'x', amount: 1 } }),
    );
    for (let i = 80; i < 100; i++) add(1, 'v1.avsc', i);

    const out = mkdtempSync(join(tmpdir(), 'krange-avro-msgs-'));
    execFileSync('python3', [WRITER, out], {
      input: `${messages.join('\n')}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const files = readdirSync(out)
      .sort()
      .map((n) => join(out, n));
    expect(files).toHaveLength(messages.length);
    execFileSync('kcat', ['-P', '-b', brokers().join(','), '-t', f.topic, '-p', '0', ...files], {
      stdio: 'pipe',
    });

    const res = await cli(['run', AVRO_JOB], f.env);
    expect(res.code, res.stderr.slice(-3000)).toBe(0);

    const { local } = await downloadParquet(f.hdfsDir);
    const rows = await query(
      `select id::varchar as id, name, amount, email from ${parquetGlob(local)} order by kafka_offset`,
    );
    expect(rows).toEqual(expected);

    const dead = readdirSync(badDir, { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('.jsonl'))
      .flatMap((p) => readFileSync(join(badDir, p), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as { offset: string; stage: string; error: string })
      .sort((a, b) => Number(a.offset) - Number(b.offset));
    expect(dead.map((d) => [d.offset, d.stage])).toEqual([
      [String(badAt), 'decode'],
      [String(badAt + 1), 'decode'],
    ]);
    expect(dead[0]?.error).toMatch(/schema id 3 .*'name' is int in the writer, string in the reader/);
    expect(dead[1]?.error).toMatch(/schema id 7 is not among avro\(\{ schemas \}\) \(known ids: 1, 2, 3\)/);
  });
});
