// JSON integers beyond 2^53 (64-bit ids, nanosecond times), written by kcat, reach every sink with
// the digits the record's text held: Parquet (read by DuckDB), MongoDB (Int64, read as BigInt),
// Redis (decimal strings), and the aggregator's int64 sum/min/max in PostgreSQL. An id beyond int64
// is a bad record whose error quotes the digits as written.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  dropFixture,
  sql,
  startAggregator,
  stopAggregator,
  waitCaughtUp,
} from '../../helpers/aggregator.ts';
import { batchFixture } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { downloadParquet, parquetGlob, query } from '../../helpers/duckdb.ts';
import { kcatProduce } from '../../helpers/external-producers.ts';
import { endpoints, uniqueId } from '../../helpers/sinks.ts';

const BIG_IDS_JOB = resolve('test/fixtures/jobs/big-ids.ts');

// [id, ns] as written; labels a..g. Beyond 2^53 except the small one; int64's two ends included.
const GOOD: [string, string][] = [
  ['9007199254740993', '1764547200123456789'],
  ['1541815603606036480', '1764547200000000001'],
  ['9223372036854775807', '1764547200999999999'],
  ['-9223372036854775808', '1764547200123456701'],
  ['-1234567890123456789', '1764547200123456702'],
  ['42', '1764547200123456703'],
  ['12345678901234567', '1764547200123456704'],
];
const LABELS = 'abcdefg';

/** Nanoseconds since the epoch (after 1970) as ISO-8601 with nine fractional digits. */
function isoNs(ns: string): string {
  const seconds = new Date(Number(BigInt(ns) / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${ns.slice(-9)}Z`;
}

let agg: AggFixture | undefined;
afterEach(async () => {
  if (agg) await dropFixture(agg);
  agg = undefined;
});

describe('int64 from JSON', () => {
  it('keeps ids and nanosecond times beyond 2^53 exact in Parquet, MongoDB and Redis', async () => {
    const database = uniqueId('krange_int64');
    const prefix = uniqueId('krange_int64');
    const badDir = mkdtempSync(join(tmpdir(), 'krange-int64-bad-'));
    const f = await batchFixture(1, {
      KRANGE_TEST_MONGO_DB: database,
      KRANGE_TEST_REDIS_PREFIX: prefix,
      KRANGE_TEST_BAD_DIR: badDir,
    });
    const lines = GOOD.map(([id, ns], i) => `{"id":${id},"ns":${ns},"label":"${LABELS[i]}"}`);
    lines.push('{"id":9223372036854775808,"ns":1764547200000000000,"label":"too-big"}');
    kcatProduce(f.topic, 0, 'none', lines);

    const res = await cli(['run', BIG_IDS_JOB], f.env);
    expect(res.code, res.stderr.slice(-3000)).toBe(0);

    const { local, files } = await downloadParquet(f.hdfsDir);
    // DuckDB reads UTC timestamps at microsecond precision: the ids exactly, the times to the us.
    const rows = await query(
      `select label, id::varchar as id, epoch_us(ns)::varchar as us from ${parquetGlob(local)} order by label`,
    );
    expect(rows).toEqual(GOOD.map(([id, ns], i) => ({ label: LABELS[i], id, us: ns.slice(0, -3) })));
    // hyparquet (another independent reader) gives the stored nanoseconds themselves.
    const nanos: string[] = [];
    for (const file of files) {
      const objects = await parquetReadObjects({
        file: await asyncBufferFromFile(join(local, file)),
        columns: ['label', 'ns'],
        parsers: { timestampFromNanoseconds: (n: bigint) => n },
      });
      for (const o of objects) nanos.push(`${o['label']}=${String(o['ns'])}`);
    }
    expect(nanos.sort()).toEqual(GOOD.map(([, ns], i) => `${LABELS[i]}=${ns}`));

    const client = await new MongoClient(endpoints().mongoUrl).connect();
    try {
      const docs = await client
        .db(database)
        .collection('ids')
        .find({}, { useBigInt64: true, sort: { label: 1 } })
        .toArray();
      expect(docs.map((d) => [d['label'], BigInt(d['id'] as bigint | number).toString()])).toEqual(
        GOOD.map(([id], i) => [LABELS[i], id]),
      );
    } finally {
      await client.db(database).dropDatabase();
      await client.close();
    }

    const redis = new Redis(endpoints().redisUrl);
    try {
      for (const [i, [id, ns]] of GOOD.entries()) {
        // The hset sink writes timestamps as ISO-8601 with every digit of the unit.
        expect(await redis.hgetall(`${prefix}:${LABELS[i]}`)).toEqual({
          id,
          ns: isoNs(ns),
          label: LABELS[i],
        });
      }
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys).toHaveLength(GOOD.length);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }

    const deadFiles = readdirSync(badDir, { recursive: true, encoding: 'utf8' }).filter((p) =>
      p.endsWith('.jsonl'),
    );
    const dead = deadFiles.flatMap((p) =>
      readFileSync(join(badDir, p), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { field: string; error: string }),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]?.field).toBe('id');
    expect(dead[0]?.error).toContain('9223372036854775808');
  });

  it("keeps the aggregator's int64 sum, min and max exact", async () => {
    const f = await aggFixture(1, { KRANGE_AGG_SIZE: '60000', KRANGE_AGG_SLIDE: '60000' });
    agg = f;
    const ts = Date.UTC(2026, 0, 1, 12, 0, 30);
    const amounts = [
      '4611686018427387905',
      '4611686018427387903',
      '-9223372036854775807',
      '9007199254740993',
      '1',
    ];
    kcatProduce(
      f.topic,
      0,
      'zstd',
      amounts.map((a) => `{"user":"u1","page":"/big","country":"FR","ts":${ts},"amount":${a}}`),
    );
    const h = startAggregator(f);
    try {
      await waitCaughtUp(f, 60_000);
    } finally {
      await stopAggregator(h);
    }
    const rows = await sql<{ events: string; s: string; mn: string; mx: string }>(
      `SELECT events::text AS events, amount_sum::text AS s, amount_min::text AS mn, amount_max::text AS mx FROM "${f.table}"`,
    );
    const big = amounts.map(BigInt);
    expect(rows).toEqual([
      {
        events: '5',
        s: big.reduce((a, b) => a + b, 0n).toString(),
        mn: [...big].sort((a, b) => (a < b ? -1 : 1))[0]?.toString(),
        mx: [...big].sort((a, b) => (a < b ? 1 : -1))[0]?.toString(),
      },
    ]);
  });
});
