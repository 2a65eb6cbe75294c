// A client krange did not write: the REST Proxy documentation's own curl examples (v2 and v3,
// test/fixtures/curl/) against `krange ingest`, with the records read back by kcat.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, readTopic, startGateway } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

let gw: GatewayProcess;
const jsonTopic = uniqueName('jsontest');
const binaryTopic = uniqueName('binarytest');
const v3Topic = uniqueName('topic1');
const streamTopic = uniqueName('stream');

beforeAll(async () => {
  await Promise.all([
    createTopic(jsonTopic, 1),
    createTopic(binaryTopic, 2),
    createTopic(v3Topic, 1),
    createTopic(streamTopic, 1),
  ]);
  // zstd batches: what the gateway writes must be readable by librdkafka (kcat) too.
  gw = await startGateway(['--port', '0', '--compression', 'zstd']);
});
afterAll(async () => {
  gw.child.kill('SIGTERM');
  await gw.done;
});

const run = (script: string, env: Record<string, string>) =>
  execFileSync('bash', [`test/fixtures/curl/${script}`], {
    env: { ...process.env, GATEWAY: gw.url, ...env },
    encoding: 'utf8',
  })
    .trim()
    .split('\n');

describe("the REST Proxy documentation's curl examples", () => {
  it('v2: json and binary produce answer offsets and store the records', () => {
    const out = run('rest-proxy-v2-examples.sh', { JSON_TOPIC: jsonTopic, BINARY_TOPIC: binaryTopic });
    expect(out).toHaveLength(3);
    expect(JSON.parse(out[0] as string)).toEqual({
      offsets: [{ partition: 0, offset: 0, error_code: null, error: null }],
      key_schema_id: null,
      value_schema_id: null,
    });
    const third = JSON.parse(out[2] as string) as { offsets: { partition: number; error_code: null }[] };
    expect(third.offsets).toHaveLength(3);
    expect(third.offsets[1]?.partition).toBe(1);
    expect(readTopic(jsonTopic).map((r) => r.value)).toEqual(['{"foo":"bar"}']);
    const bin = readTopic(binaryTopic);
    expect(bin.map((r) => r.value).sort()).toEqual(['Kafka', 'confluent', 'kafka', 'logs']);
    expect(bin.find((r) => r.value === 'confluent')?.key).toBe('key');
    expect(bin.find((r) => r.value === 'kafka')?.partition).toBe(1);
  });

  it('v3: single records and a chunked stream get one delivery report each', () => {
    const out = run('rest-proxy-v3-examples.sh', { TOPIC: v3Topic });
    const reports = out.map((l) => JSON.parse(l) as { error_code: number; offset: number });
    expect(reports.map((r) => r.error_code)).toEqual([200, 200, 200, 200, 200]);
    expect(reports.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(readTopic(v3Topic).map((r) => [r.key, r.value])).toEqual([
      ['', '"Hello World!"'],
      ['foobar', '{"foo":"bar"}'],
      ['', 'stream-1'],
      ['', 'stream-2'],
      ['', 'stream-3'],
    ]);
  });

  it('v3 streaming: a bad record among good ones is reported at its index, the good ones stored', () => {
    const out = run('rest-proxy-v3-stream-with-a-bad-record.sh', { TOPIC: streamTopic });
    expect(out.at(-1)).toBe('HTTP 200');
    const reports = out
      .slice(0, -1)
      .map(
        (l) =>
          JSON.parse(l) as { error_code: number; offset?: number; partition_id?: number; message?: string },
      );
    expect(reports.map((r) => r.error_code)).toEqual([200, 200, 400, 200, 200]);
    expect(reports[2]?.message).toMatch(/record 2: field 'value.data'/);
    expect(reports[2]?.offset).toBeUndefined();
    const stored = readTopic(streamTopic);
    expect(stored.map((r) => [r.key, r.value])).toEqual([
      ['k0', '{"n":0}'],
      ['k1', 'one'],
      ['k3', 'three'],
      ['k4', '[4]'],
    ]);
    // Each report names where its record is: the offsets kcat reads.
    expect(reports.filter((r) => r.error_code === 200).map((r) => String(r.offset))).toEqual(
      stored.map((r) => String(r.offset)),
    );
  });
});
