// A row a sink's server refuses (here: a duplicate on a unique index the job declared) follows the
// job's onBadRecord policy like a record that cannot be decoded: 'fail' names it and commits
// nothing; 'skip' leaves it out and counts it; 'deadLetter' also writes the refused row aside.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const JOB = resolve('test/fixtures/jobs/mongo-unique.ts');

async function setup(bad: string) {
  const topic = uniqueName('rej');
  const db = uniqueName('krange_rej').replace('-', '_');
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-state-'));
  await createTopic(topic, 1);
  await produce(
    topic,
    ['a', 'b', 'a', 'c'].map((payload, id) => ({ value: JSON.stringify({ id, payload }) })),
  );
  const env = {
    KRANGE_TEST_TOPIC: topic,
    KRANGE_TEST_JOB: topic,
    KRANGE_TEST_DB: db,
    KRANGE_TEST_BAD: bad,
    KRANGE_STATE_DIR: stateDir,
  };
  return { topic, db, stateDir, env };
}

async function payloads(db: string): Promise<string[]> {
  const client = await new MongoClient(process.env['KRANGE_MONGO_URL'] ?? '').connect();
  try {
    const docs = await client.db(db).collection<{ payload: string }>('events').find().toArray();
    return docs.map((d) => d.payload).sort();
  } finally {
    await client.db(db).dropDatabase();
    await client.close();
  }
}

describe('sink rejections', () => {
  it("'fail' names the refused record and commits nothing", async () => {
    const s = await setup('fail');
    const r = await cli(['run', JOB], s.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`bad record at ${s.topic}\\[0\\]@2: MongoDB rejected document`));
    expect(readdirSync(join(s.stateDir, s.topic))).not.toContain('commits');
    await payloads(s.db);
  });

  it("'skip' leaves the refused row out and counts it", async () => {
    const s = await setup('skip');
    const r = await cli(['run', JOB], s.env);
    expect(r.code).toBe(0);
    const commit = JSON.parse(readFileSync(join(s.stateDir, s.topic, 'commits', '0.json'), 'utf8'));
    expect(commit.badRecords).toBe(1);
    expect(await payloads(s.db)).toEqual(['a', 'b', 'c']);
  });

  it("'deadLetter' writes the refused row with its coordinates", async () => {
    const dl = mkdtempSync(join(tmpdir(), 'krange-dl-'));
    const s = await setup(`dl-path:${dl}`);
    expect((await cli(['run', JOB], s.env)).code).toBe(0);
    const dir = join(dl, s.topic, s.topic, '0');
    const [file] = readdirSync(dir);
    const lines = readFileSync(join(dir, file ?? ''), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ topic: s.topic, partition: 0, offset: '2', stage: 'sink' });
    expect(JSON.parse(Buffer.from(lines[0].value, 'base64').toString())).toEqual({ id: 2, payload: 'a' });
    await payloads(s.db);
  });
});
