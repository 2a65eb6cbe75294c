// The contract for a row one sink's server refuses (issue 11 item 7): the refusal is known only once
// that sink has written the batch, after the other sinks took the row, so the row stays in the other
// sinks and is counted per sink: `refused` in the commit file (per task and per iteration), in
// `krange state` and the run summary, and its dead letter names the sink. Here Redis refuses one
// row (its key holds a list: WRONGTYPE) of a job writing Parquet, MongoDB and Redis.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';
import { endpoints, uniqueId } from '../../helpers/sinks.ts';

it('a row Redis refuses stays in Parquet and MongoDB and is counted as refused by redis', async () => {
  const topic = uniqueName('refuse');
  const database = uniqueId('krange_refuse');
  const prefix = uniqueId('krange_refuse');
  const out = mkdtempSync(join(tmpdir(), 'krange-refuse-out-'));
  const deadLetters = mkdtempSync(join(tmpdir(), 'krange-refuse-dl-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-state-'));
  await createTopic(topic, 1);
  await produce(
    topic,
    [0, 1, 2, 3, 4].map((id) => ({ value: JSON.stringify({ id, payload: `p${id}` }) })),
  );
  const redisKey = `${prefix}:2`;
  const redis = new Redis(endpoints().redisUrl);
  const mongoClient = await new MongoClient(endpoints().mongoUrl).connect();
  try {
    await redis.rpush(redisKey, 'not a hash'); // the row of id 2 meets WRONGTYPE
    const job = writeJobFile(
      'refuse',
      `{
        name: ${JSON.stringify(topic)},
        topics: [${JSON.stringify(topic)}],
        schema: { id: t.int64(), payload: t.utf8() },
        sinks: [
          parquet({ path: ${JSON.stringify(out)} }),
          mongo({ database: ${JSON.stringify(database)}, collection: 'events' }),
          redis({ mode: 'latest', key: ${JSON.stringify(`${prefix}:{id}`)} }),
        ],
        onBadRecord: { deadLetter: { path: ${JSON.stringify(deadLetters)} } },
      }`,
    );
    const env = { KRANGE_STATE_DIR: stateDir };
    const run = await cli(['run', job], env);
    expect(run.code, run.stderr).toBe(0);
    const redisSink = `redis:latest:${prefix}:{id}`;
    expect(run.stdout).toContain(`refused   1 row(s) by ${redisSink} (kept by the other sinks)`);

    // Parquet (DuckDB) and MongoDB hold all five rows, the refused one included; Redis four.
    const [parquet] = await query(
      `select count(*)::int as n, bool_or(id = 2) as has2 from read_parquet('${out}/**/*.parquet')`,
    );
    expect(parquet).toEqual({ n: 5, has2: true });
    const docs = await mongoClient.db(database).collection('events').find().toArray();
    expect(docs.map((d) => d['payload']).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `${prefix}:${i}`).sort(),
    );
    expect(await redis.type(redisKey)).toBe('list');

    // Counted per sink in the commit file, per task and per iteration.
    const commit = JSON.parse(readFileSync(join(stateDir, topic, 'commits', '0.json'), 'utf8'));
    expect(commit.badRecords).toBe(1);
    expect(commit.refused).toEqual({
      [`parquet:${out}`]: 0,
      [`mongo:${database}.events`]: 0,
      [redisSink]: 1,
    });
    expect(commit.tasks[0].sinks[redisSink]).toMatchObject({ rows: 4, refused: 1 });
    expect(commit.tasks[0].sinks[`mongo:${database}.events`]).toMatchObject({ rows: 5, refused: 0 });

    // ... in `krange state`, as a table and as JSON ...
    const state = await cli(['state', job], env);
    expect(state.stdout).toContain(`1 (${redisSink} refused 1)`);
    const json = JSON.parse((await cli(['state', job, '--json'], env)).stdout);
    expect(json.iterations[0].refused[redisSink]).toBe(1);

    // ... and the dead letter names the sink that refused the row.
    const dir = join(deadLetters, topic, topic, '0');
    const lines = readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ offset: '2', stage: 'sink', sink: redisSink });
    expect(lines[0].error).toMatch(/WRONGTYPE/);
  } finally {
    await redis.del(...(await redis.keys(`${prefix}:*`)));
    redis.disconnect();
    await mongoClient.db(database).dropDatabase();
    await mongoClient.close();
  }
});
