// The columnar path (DuckDB over the task's values, sinks/parquet/columnar-sql.ts) against the
// JSON.parse path, record by record over a corpus of awkward values: whatever the columnar path
// accepts, the JavaScript path accepts too and stores the same values (read back from the Parquet
// DuckDB wrote); whatever the JavaScript path refuses, the columnar path declines (the task then
// runs on the JavaScript path, which applies the policy with its messages). And it takes the
// ordinary records itself, all in one batch, in order.
import { describe, expect, it } from 'vitest';
import { validateJob } from '../../../src/job/job-loader.ts';
import { t } from '../../../src/job/schema.ts';
import { columnarRefusal } from '../../../src/sinks/parquet/columnar-plan.ts';
import { parquet } from '../../../src/sinks/sink-specs.ts';
import { AWKWARD_BYTES, awkwardJob, ORDINARY, record } from '../../helpers/awkward-json.ts';
import { columnar, javascript } from '../../helpers/columnar-paths.ts';

const spec = awkwardJob(parquet({ path: '/tmp/x', partitionBy: { field: 'at', format: 'date' } }));

const DECLINED_ORDINARY = [
  ' { "id" : -3 , "price" : -0 , "n" : 0 , "at" : 1764000000000 } ',
  '{"id":7,"id":8}',
  '{}',
];

describe('columnar path', () => {
  it('accepts only what the JSON.parse path accepts, with the same values', async () => {
    const declined: string[] = [];
    for (const [i, b] of [...AWKWARD_BYTES, null].entries()) {
      const recs = [record(b, BigInt(i))];
      const js = javascript(spec, recs);
      const col = await columnar(spec, recs);
      if (col === 'declined') {
        declined.push(b?.toString('utf8') ?? 'null');
        continue;
      }
      expect([b?.toString('hex'), col]).toEqual([b?.toString('hex'), js]);
    }
    // Timestamps with offsets, int64 edges and escapes are read by DuckDB itself.
    for (const taken of [
      '{"id":15,"at":"2026-11-24T10:00:00.5+02:00"}',
      '{"id":20,"at":"2026-11-24T23:30:00-05:00"}',
      '{"id":-9223372036854775808}',
      '{"id":"-9223372036854775808","skip":{"deep":[1,{"x":[true,null,"\\u00e9"]}],"e":1E+2}}',
      '{"id":25,"name":"\\u0000 \\/ \\" \\\\"}',
    ])
      expect(declined).not.toContain(taken);
    // What the JSON.parse path refuses is among the declined.
    for (const [i, b] of [...AWKWARD_BYTES, null].entries()) {
      if (javascript(spec, [record(b, BigInt(i))]) === 'refused')
        expect(declined).toContain(b?.toString('utf8') ?? 'null');
    }
  });

  it('takes the ordinary records itself, in one batch, in order', async () => {
    const recs = ORDINARY.map((s, i) => record(Buffer.from(s), BigInt(i)));
    const declined: string[] = [];
    for (const [i, r] of recs.entries())
      if ((await columnar(spec, [r])) === 'declined') declined.push(ORDINARY[i]!);
    // Left to the JavaScript path: a value with leading space (not `{` first), a duplicate key
    // (JSON.parse keeps the last, DuckDB refuses), a record without its required id.
    expect(declined).toEqual(DECLINED_ORDINARY);
    const accepted = recs.filter((_, i) => !declined.includes(ORDINARY[i]!));
    const col = await columnar(spec, accepted);
    expect(col).not.toBe('declined');
    expect(col).toEqual(javascript(spec, accepted));
    expect((col as unknown[]).length).toBeGreaterThan(10);
  });

  it('applies where as the JavaScript path does', async () => {
    const filtered = validateJob(
      {
        name: 'filtered',
        topics: ['t'],
        schema: {
          id: t.int64(),
          country: t.utf8(),
          referrer: t.nullable(t.utf8()),
          part: t.int32(),
          device: t.nullable(t.utf8()),
          score: t.nullable(t.float64()),
        },
        columns: { part: { kafka: 'partition' } },
        // A missing device is not 'tv' (kept); a score of 1.0 equals 1 (JavaScript numbers).
        where: {
          country: { in: ['US', 'DE'] },
          referrer: { not: null },
          part: 3,
          device: { not: 'tv' },
          score: { in: [1, null] },
        },
        sinks: [parquet({ path: '/tmp/x' })],
      },
      'test',
    );
    const recs = [
      '{"id":1,"country":"US","referrer":"r"}',
      '{"id":2,"country":"FR","referrer":"r"}',
      '{"id":3,"country":"DE","referrer":null}',
      '{"id":4,"country":"DE"}',
      '{"id":5,"country":"DE","referrer":"x","extra":[1]}',
      '{"id":6,"country":7,"referrer":"x"}',
      '{"id":7,"country":"US","referrer":"r","device":"tv"}',
      '{"id":8,"country":"US","referrer":"r","device":"phone","score":1.0}',
      '{"id":9,"country":"US","referrer":"r","score":2}',
    ].map((s, i) => record(Buffer.from(s), BigInt(i)));
    const col = await columnar(filtered, recs);
    expect(col).toEqual(javascript(filtered, recs));
    expect(col).toEqual([
      ['1', 'US', 'r', 3, null, null, ''],
      ['5', 'DE', 'x', 3, null, null, ''],
      ['8', 'US', 'r', 3, 'phone', 1, ''],
    ]);
  });

  it('gives the same timestamps in every unit, Kafka metadata, renames and hour directories', async () => {
    const job = validateJob(
      {
        name: 'units',
        topics: ['t'],
        schema: {
          id: t.int64(),
          at_s: t.nullable(t.timestamp('s')),
          at_us: t.nullable(t.timestamp('us', null)),
          at_ns: t.nullable(t.timestamp('ns')),
          at_naive: t.nullable(t.timestamp('ms', null)),
          topic: t.utf8(),
          kts: t.timestamp('ms'),
          off: t.utf8(),
          flag: t.nullable(t.bool()),
          l: t.nullable(t.list(t.int64())),
          nm: t.nullable(t.utf8()),
        },
        columns: {
          topic: { kafka: 'topic' },
          kts: { kafka: 'timestamp' },
          off: { kafka: 'offset' },
          nm: 'name',
          at_s: 'at',
          at_us: 'at',
          at_ns: 'at',
          at_naive: 'at',
        },
        onBadRecord: 'skip',
        sinks: [parquet({ path: '/tmp/x', partitionBy: { kafkaTimestamp: true, format: 'hour' } })],
      },
      'test',
    );
    const values = [
      '{"id":1,"at":"2026-11-24T10:00:00.999Z","flag":true,"l":[1,"2",-3],"name":"a"}',
      '{"id":2,"at":"1969-12-31T23:59:59.001+01:30","flag":false,"l":[]}',
      '{"id":3,"at":1764000000123,"l":null,"name":null}',
      '{"id":4}',
      '{"id":5,"at":null,"l":[9223372036854775807]}',
      '{"id":6,"at":"2026-11-24T10:00:00Z","flag":"true"}',
      '{"id":7,"l":[1.5]}',
      '{"id":8,"l":[null]}',
    ];
    const declined: string[] = [];
    for (const [i, v] of values.entries()) {
      const recs = [record(Buffer.from(v), BigInt(i))];
      const col = await columnar(job, recs);
      if (col === 'declined') declined.push(v);
      else expect([v, col]).toEqual([v, javascript(job, recs)]);
      if (javascript(job, recs) === 'refused') expect(declined).toContain(v);
    }
    expect(declined).toEqual([values[5], values[6], values[7]]);
    // All of the accepted ones in one batch, in order.
    const recs = values.slice(0, 5).map((v, i) => record(Buffer.from(v), BigInt(i)));
    expect(await columnar(job, recs)).toEqual(javascript(job, recs));
  });

  it('says why a job cannot take it', () => {
    const base = {
      name: 'j',
      topics: ['t'],
      schema: { id: t.int64(), at: t.timestamp('ms') },
      sinks: [parquet({ path: '/tmp/x' })],
    };
    const why = (o: Record<string, unknown>) => columnarRefusal(validateJob({ ...base, ...o }, 'test'));
    expect(why({})).toBeUndefined();
    expect(why({ transform: (r: { value: unknown }) => r.value })).toMatch(/JavaScript transform/);
    expect(why({ decoder: 'string' })).toMatch(/decoder is not 'json'/);
    expect(why({ columns: { id: { kafka: 'key' } } })).toMatch(/Kafka key/);
    expect(why({ schema: { id: t.int64(), l: t.list(t.list(t.utf8())) } })).toMatch(/list of lists/);
    expect(
      why({ sinks: [parquet({ path: '/tmp/x', partitionBy: { field: 'id', format: 'value' } })] }),
    ).toMatch(/format: 'value'/);
    expect(why({ sinks: [parquet({ path: '/tmp/x', partitionBy: { field: 'id' } })] })).toMatch(
      /not a timestamp field/,
    );
    expect(why({ sinks: [parquet({ path: '/tmp/x' }), parquet({ path: '/tmp/y' })] })).toMatch(
      /exactly one Parquet sink/,
    );
  });
});
