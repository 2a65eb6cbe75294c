// onBadRecord: 'fail' names the record and commits nothing; 'skip' counts; 'deadLetter' writes the
// raw bytes with the error and coordinates to a topic or a JSONL file. Counts reach the commit file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { hdfsClient, listHdfs } from '../../helpers/duckdb.ts';
import { createTopic, produce, testKafka, uniqueName } from '../../helpers/kafka.ts';

const BAD = [
  { value: '{not json' },
  { value: JSON.stringify({ id: 'x', payload: 'wrong type' }) },
  { value: JSON.stringify({ id: 5, payload: 'THROW please' }) },
];

async function fixtureWithBad(extra: Record<string, string> = {}) {
  const f = await batchFixture(1, extra);
  await produceEvents(f, 100);
  await produce(f.topic, BAD);
  await produceEvents(f, 100);
  return f;
}

describe('bad records', () => {
  it("'fail' stops with the record's coordinates and reason and commits nothing", async () => {
    const f = await fixtureWithBad();
    const r = await cli(['run', EVENTS_JOB], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`bad record at ${f.topic}\\[0\\]@100: cannot decode value`));
    expect(r.stderr).toMatch(/onBadRecord/);
    const state = JSON.parse((await cli(['state', EVENTS_JOB, '--json'], f.env)).stdout);
    // Not committed: the failed attempt is recorded with its error.
    expect(state.iterations[0].status).toBe('failed');
    expect(state.iterations[0].attempts[0].reason).toMatch(/^KRANGE_BAD_RECORD: bad record at/);
  });

  it("'skip' drops bad records and counts them", async () => {
    const f = await fixtureWithBad({ KRANGE_TEST_BAD: 'skip' });
    const r = await cli(['run', EVENTS_JOB], f.env);
    expect(r.code).toBe(0);
    await expectExactlyOnce(f);
    const commit = JSON.parse(readFileSync(join(f.stateDir, f.job, 'commits', '0.json'), 'utf8'));
    expect(commit.badRecords).toBe(3);
    expect(commit.records).toBe(203);
  });

  it("'deadLetter' to a file keeps raw bytes, error and coordinates", async () => {
    const f = await batchFixture(1);
    const dlDir = `/krange-test/${uniqueName('dl')}`;
    Object.assign(f.env, { KRANGE_TEST_BAD: `dl-path:webhdfs://${dlDir}` });
    await produceEvents(f, 50);
    await produce(f.topic, BAD);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await expectExactlyOnce(f);
    const files = await listHdfs(hdfsClient(), dlDir);
    expect(files).toHaveLength(1);
    const lines = (await hdfsClient().readFile(`${dlDir}/${files[0]}`))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.offset, l.stage])).toEqual([
      ['50', 'decode'],
      ['51', 'schema'],
      ['52', 'transform'],
    ]);
    expect(lines[1].field).toBe('id');
    expect(Buffer.from(lines[0].value, 'base64').toString()).toBe('{not json');
  });

  it("'deadLetter' to a topic keys records by coordinates with the error in headers", async () => {
    const f = await batchFixture(1);
    const dlTopic = uniqueName('dlq');
    await createTopic(dlTopic, 1);
    Object.assign(f.env, { KRANGE_TEST_BAD: `dl-topic:${dlTopic}` });
    await produceEvents(f, 50);
    await produce(f.topic, BAD);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    const consumer = testKafka().consumer({ groupId: uniqueName('g') });
    await consumer.connect();
    await consumer.subscribe({ topic: dlTopic, fromBeginning: true });
    const got: { key: string; error: string; value: string }[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push({
            key: message.key?.toString() ?? '',
            error: message.headers?.['krange.error']?.toString() ?? '',
            value: message.value?.toString() ?? '',
          });
          if (got.length === 3) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got.map((g) => g.key)).toEqual([`${f.topic}:0:50`, `${f.topic}:0:51`, `${f.topic}:0:52`]);
    expect(got[2]?.error).toMatch(/transform threw/);
    expect(got[0]?.value).toBe('{not json');
  });
});
