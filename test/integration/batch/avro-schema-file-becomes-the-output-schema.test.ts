// `schema: fromAvroSchema(file)` end to end: Confluent-framed Avro written by fastavro (Python) and
// sent by kcat, read by a job whose columns come from the same .avsc file (plus the Kafka offset).
// `krange plan` shows the columns it will write, in text and JSON; the Parquet files hold those
// column types with the values exact (DuckDB): longs beyond 2^53, timestamp-micros to the
// microsecond, enums as text, nulls in the nullable columns.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import { brokers } from '../../helpers/kafka.ts';

const JOB = resolve('test/fixtures/jobs/avro-derived-schema.ts');
const WRITER = resolve('test/fixtures/avro/write-confluent-avro.py');

const CLICKS = {
  type: 'record',
  name: 'Click',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'qty', type: 'int' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'device', type: { type: 'enum', name: 'Device', symbols: ['DESKTOP', 'MOBILE'] } },
    { name: 'price', type: ['null', 'double'], default: null },
    { name: 'score', type: 'float' },
    { name: 'mobile', type: 'boolean' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};

describe('an Avro schema file as the output schema', () => {
  it('plan shows the derived columns; the run writes them with exact values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-avro-derived-'));
    const avsc = join(dir, 'clicks.avsc');
    writeFileSync(avsc, JSON.stringify(CLICKS));
    const f = await batchFixture(1, { KRANGE_AVRO_DIR: dir });

    const plan = await cli(['plan', JOB], f.env);
    expect(plan.code, plan.stderr.slice(-2000)).toBe(0);
    expect(plan.stdout).toContain(`schema written (10 columns, from Avro schema file ${avsc}):`);
    const lines = plan.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    for (const line of [
      'column type nullable',
      'id int64 no',
      'qty int32 no',
      'at timestamp(us, UTC) no',
      'ts timestamp(ms, UTC) no',
      'device utf8 no',
      'price float64 yes',
      'score float64 no',
      'mobile bool no',
      'tags list<utf8> no',
      'kafka_offset int64 no',
    ])
      expect(lines).toContain(line);
    const json = await cli(['plan', JOB, '--json'], f.env);
    const parsed = JSON.parse(json.stdout) as {
      schema: { name: string; type: string; nullable: boolean }[];
      schemaOrigin: { file: string };
    };
    expect(parsed.schema.slice(0, 3)).toEqual([
      { name: 'id', type: 'int64', nullable: false },
      { name: 'qty', type: 'int32', nullable: false },
      { name: 'at', type: 'timestamp(us, UTC)', nullable: false },
    ]);
    expect(parsed.schema.find((c) => c.name === 'price')).toEqual({
      name: 'price',
      type: 'float64',
      nullable: true,
    });
    expect(parsed.schemaOrigin.file).toBe(avsc);

    const big = 9007199254740993n;
    const at = 1_700_000_000_123_457n;
    const messages = [0, 1, 2].map((i) =>
      JSON.stringify({
        id: 1,
        schema: avsc,
        record: {
          id: `@${big + BigInt(i)}@`,
          qty: i,
          at: `@${at + BigInt(i)}@`,
          ts: 1_700_000_000_000 + i,
          device: i === 1 ? 'MOBILE' : 'DESKTOP',
          price: i === 2 ? null : i + 0.25,
          score: 0.5,
          mobile: i === 1,
          tags: i === 0 ? [] : ['a', `t${i}`],
        },
      }).replace(/"@(\d+)@"/g, '$1'),
    );
    const out = mkdtempSync(join(tmpdir(), 'krange-avro-derived-msgs-'));
    execFileSync('python3', [WRITER, out], {
      input: `${messages.join('\n')}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const files = readdirSync(out)
      .sort()
      .map((n) => join(out, n));
    execFileSync('kcat', ['-P', '-b', brokers().join(','), '-t', f.topic, '-p', '0', ...files], {
      stdio: 'pipe',
    });

    const res = await cli(['run', JOB], f.env);
    expect(res.code, res.stderr.slice(-3000)).toBe(0);

    const { local } = await downloadParquet(f.hdfsDir);
    const types = await query(`describe select * from ${parquetGlob(local)}`);
    expect(Object.fromEntries(types.map((r) => [r['column_name'], r['column_type']]))).toEqual({
      id: 'BIGINT',
      qty: 'INTEGER',
      at: 'TIMESTAMP WITH TIME ZONE',
      ts: 'TIMESTAMP WITH TIME ZONE',
      device: 'VARCHAR',
      price: 'DOUBLE',
      score: 'DOUBLE',
      mobile: 'BOOLEAN',
      tags: 'VARCHAR[]',
      kafka_offset: 'BIGINT',
    });
    const rows = await query(
      `select id::varchar as id, qty, epoch_us("at")::varchar as at_us, epoch_ms(ts)::varchar as ts_ms, device, price, score, mobile,
         array_to_string(tags, '|') as tags, kafka_offset::varchar as off
       from ${parquetGlob(local)} order by kafka_offset`,
    );
    expect(rows).toEqual(
      [0, 1, 2].map((i) => ({
        id: String(big + BigInt(i)),
        qty: i,
        at_us: String(at + BigInt(i)),
        ts_ms: String(1_700_000_000_000 + i),
        device: i === 1 ? 'MOBILE' : 'DESKTOP',
        price: i === 2 ? null : i + 0.25,
        score: 0.5,
        mobile: i === 1,
        tags: i === 0 ? '' : `a|t${i}`,
        off: String(i),
      })),
    );
  });
});
