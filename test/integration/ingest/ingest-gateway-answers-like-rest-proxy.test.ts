// `krange ingest` against real Kafka: REST Proxy v3 and v2 produce answers, per-record reports,
// bad input refused before Kafka (read back with kcat), tokens, metrics and the OpenAPI document.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterId, type GatewayProcess, readTopic, startGateway } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

const topic = uniqueName('ingest-gw');
const schemaTopic = uniqueName('ingest-gw-schema');
const TOKEN = 'writer-token-0123456789';
const OTHER = 'other-token-0123456789ab';
let gw: GatewayProcess;
let open: GatewayProcess;
let cid: string;

const auth = (t: string) => ({ authorization: `Bearer ${t}` });

async function post(url: string, contentType: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

beforeAll(async () => {
  await createTopic(topic, 3);
  await createTopic(schemaTopic, 1);
  gw = await startGateway(['--port', '0', '--max-record-bytes', '1000'], {
    KRANGE_INGEST_TOKENS: `writer:${TOKEN}=${topic},${schemaTopic};other:${OTHER}=elsewhere-*`,
  });
  open = await startGateway(['--port', '0', '--job', 'test/fixtures/jobs/ingest-lines.ts'], {
    KRANGE_TEST_TOPIC: schemaTopic,
  });
  cid = await clusterId(open.url);
});

afterAll(async () => {
  for (const g of [gw, open]) {
    g?.child.kill('SIGTERM');
    await g?.done;
  }
});

describe('v3 records', () => {
  it('answers one record with its partition and offset, and lists the cluster', async () => {
    const clusters = (await (await fetch(`${gw.url}/v3/clusters`)).json()) as {
      kind: string;
      data: { cluster_id: string }[];
    };
    expect(clusters.kind).toBe('KafkaClusterList');
    expect(clusters.data[0]?.cluster_id).toBe(cid);
    expect((await fetch(`${gw.url}/v3/clusters/${cid}`)).status).toBe(200);
    expect((await fetch(`${gw.url}/v3/clusters/not-${cid}`)).status).toBe(404);

    const r = await post(
      `${gw.url}/v3/clusters/${cid}/topics/${topic}/records`,
      'application/json',
      JSON.stringify({
        partition_id: 2,
        key: { type: 'STRING', data: 'k-one' },
        value: { type: 'JSON', data: { one: 1 } },
      }),
      auth(TOKEN),
    );
    expect(r.status).toBe(200);
    const report = JSON.parse(r.text);
    expect(report).toMatchObject({
      error_code: 200,
      cluster_id: cid,
      topic_name: topic,
      partition_id: 2,
      value: { type: 'JSON', size: 9 },
    });
    const stored = readTopic(topic).find((x) => x.key === 'k-one');
    expect(stored).toEqual({ partition: 2, offset: String(report.offset), key: 'k-one', value: '{"one":1}' });
  });

  it('answers a stream record by record: good ones stored, bad ones named by index and field and not stored', async () => {
    const body = [
      '{"key":{"type":"STRING","data":"s-0"},"value":{"data":{"i":0}}}',
      '{"key":{"type":"STRING","data":"s-1"},"value":{"type":"BINARY","data":"not base64!"}}',
      '{"key":{"type":"STRING","data":"s-2"}, oops}',
      `{"key":{"type":"STRING","data":"s-3"},"value":{"type":"STRING","data":"${'x'.repeat(2000)}"}}`,
      '{"key":{"type":"STRING","data":"s-4"},"partition_id":9,"value":{"data":4}}',
      '{"key":{"type":"STRING","data":"s-5"},"value":{"type":"BINARY","data":"aGVsbG8="}}',
    ].join('');
    const r = await post(
      `${gw.url}/v3/clusters/${cid}/topics/${topic}/records`,
      'application/json',
      body,
      auth(TOKEN),
    );
    expect(r.status).toBe(200);
    const reports = r.text.split('\n').map((l) => JSON.parse(l));
    expect(reports.map((x) => x.error_code)).toEqual([200, 400, 400, 413, 404, 200]);
    expect(reports[1].message).toMatch(/record 1: field 'value.data'/);
    expect(reports[2].message).toMatch(/record 2/);
    expect(reports[3].message).toMatch(/record 3: field 'value'.*over the limit of 1000/);
    expect(reports[4].message).toMatch(/record 4: field 'partition_id'.*partition 9 does not exist/);
    const keys = readTopic(topic).map((x) => x.key);
    expect(keys.filter((k) => k.startsWith('s-')).sort()).toEqual(['s-0', 's-5']);
    const s5 = readTopic(topic).find((x) => x.key === 's-5');
    expect(s5?.value).toBe('hello');
    expect(String(s5?.offset)).toBe(String(reports[5].offset));
  });

  it('refuses a record that does not fit the schema of a job with validateAt ingest', async () => {
    const good = '{"value":{"data":{"id":"a","n":1,"text":"ok"}}}';
    const bad = '{"value":{"data":{"id":"b","n":"two","text":"bad"}}}';
    const r = await post(
      `${open.url}/v3/clusters/${cid}/topics/${schemaTopic}/records`,
      'application/json',
      good + bad,
    );
    const reports = r.text.split('\n').map((l) => JSON.parse(l));
    expect(reports.map((x) => x.error_code)).toEqual([200, 422]);
    expect(reports[1].message).toMatch(/record 1: field 'value.n'.*ingest-lines/);
    const one = await post(
      `${open.url}/v3/clusters/${cid}/topics/${schemaTopic}/records`,
      'application/json',
      bad,
    );
    expect(one.status).toBe(422);
    expect(JSON.parse(one.text)).toMatchObject({
      error_code: 422,
      message: expect.stringMatching(/field 'value.n'/),
    });
    expect(readTopic(schemaTopic).map((x) => JSON.parse(x.value).id)).toEqual(['a']);
  });

  it('refuses a wrong content type, an unknown topic, a bad token and a foreign topic', async () => {
    const url = `${gw.url}/v3/clusters/${cid}/topics/${topic}/records`;
    const ct = await post(url, 'text/plain', '{}', auth(TOKEN));
    expect(ct.status).toBe(415);
    expect(JSON.parse(ct.text)).toMatchObject({ error_code: 415 });
    expect((await post(url, 'application/json', '{}')).status).toBe(401);
    const wrong = await post(url, 'application/json', '{}', auth(`${TOKEN}x`));
    expect(JSON.parse(wrong.text)).toMatchObject({ error_code: 40101 });
    const foreign = await post(url, 'application/json', '{}', auth(OTHER));
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.text)).toMatchObject({ error_code: 40301 });
    const unknown = await post(
      `${open.url}/v3/clusters/${cid}/topics/no-such-${topic}/records`,
      'application/json',
      '{}',
    );
    expect(unknown.status).toBe(404);
    expect(gw.output()).not.toContain(TOKEN);
  });
});

describe('v2 topics', () => {
  it('produces json and binary records and answers their offsets', async () => {
    const j = await post(
      `${gw.url}/topics/${topic}`,
      'application/vnd.kafka.json.v2+json',
      JSON.stringify({
        records: [
          { key: 'v2-a', value: { a: 1 } },
          { key: 'v2-b', value: [1, 2], partition: 0 },
        ],
      }),
      auth(TOKEN),
    );
    expect(j.status).toBe(200);
    expect(j.headers.get('content-type')).toMatch(/application\/vnd\.kafka\.v2\+json/);
    const body = JSON.parse(j.text);
    expect(body.key_schema_id).toBeNull();
    expect(body.value_schema_id).toBeNull();
    expect(body.offsets).toHaveLength(2);
    expect(body.offsets[1]).toMatchObject({ partition: 0, error_code: null, error: null });
    const b = await post(
      `${gw.url}/topics/${topic}`,
      'application/vnd.kafka.binary.v2+json',
      JSON.stringify({
        records: [
          { key: Buffer.from('v2-c').toString('base64'), value: Buffer.from('bin').toString('base64') },
        ],
      }),
      auth(TOKEN),
    );
    expect(b.status).toBe(200);
    const all = readTopic(topic);
    expect(all.find((x) => x.key === '"v2-a"')?.value).toBe('{"a":1}');
    expect(all.find((x) => x.key === '"v2-b"')).toMatchObject({
      partition: 0,
      offset: String(body.offsets[1].offset),
      value: '[1,2]',
    });
    expect(all.find((x) => x.key === 'v2-c')?.value).toBe('bin');
  });

  it('refuses a request with a bad record whole, naming each index and field, storing none of it', async () => {
    const r = await post(
      `${gw.url}/topics/${topic}`,
      'application/vnd.kafka.binary.v2+json',
      JSON.stringify({
        records: [{ key: Buffer.from('v2-good').toString('base64'), value: 'aGk=' }, { value: '%%' }],
      }),
      auth(TOKEN),
    );
    expect(r.status).toBe(422);
    expect(JSON.parse(r.text)).toMatchObject({
      error_code: 42200,
      message: expect.stringMatching(
        /none of this request was stored: record 1: field 'records\[1\]\.value'/,
      ),
    });
    const big = await post(
      `${gw.url}/topics/${topic}`,
      'application/vnd.kafka.json.v2+json',
      JSON.stringify({ records: [{ value: 'y'.repeat(5000) }] }),
      auth(TOKEN),
    );
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ error_code: 42201 });
    const malformed = await post(
      `${gw.url}/topics/${topic}`,
      'application/vnd.kafka.json.v2+json',
      '{"records": [',
      auth(TOKEN),
    );
    expect(malformed.status).toBe(400);
    const unknown = await post(
      `${open.url}/topics/no-such-${topic}`,
      'application/vnd.kafka.json.v2+json',
      '{"records":[{"value":1}]}',
    );
    expect(JSON.parse(unknown.text)).toMatchObject({ error_code: 40401 });
    expect(readTopic(topic).some((x) => x.key === 'v2-good')).toBe(false);
  });
});

describe('operations', () => {
  it('refuses a body over the request limit with 413', async () => {
    const g = await startGateway([
      '--port',
      '0',
      '--max-request-bytes',
      '2000',
      '--max-record-bytes',
      '1000',
    ]);
    try {
      const r = await post(
        `${g.url}/topics/${topic}`,
        'application/vnd.kafka.json.v2+json',
        JSON.stringify({ records: [{ value: 'z'.repeat(3000) }] }),
      );
      expect(r.status).toBe(413);
      expect(JSON.parse(r.text)).toMatchObject({ error_code: 413 });
    } finally {
      g.child.kill('SIGTERM');
      await g.done;
    }
  });

  it('refuses oversized headers', async () => {
    const r = await fetch(`${gw.url}/v3/clusters`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect(r.status).toBe(431);
  });

  it('serves Prometheus metrics and the committed OpenAPI document', async () => {
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    expect(m).toMatch(/krange_ingest_records_total\{outcome="stored"\} [1-9]/);
    expect(m).toMatch(/krange_ingest_records_total\{outcome="rejected"\} [1-9]/);
    expect(m).toMatch(/krange_ingest_request_duration_seconds_bucket/);
    expect(m).toMatch(/krange_ingest_bytes_total [1-9]/);
    expect(m).toMatch(/krange_ingest_requests_total\{route="\/topics\/:topic_name",status="200"\}/);
    const served = await (await fetch(`${gw.url}/openapi.json`)).json();
    const committed = JSON.parse(readFileSync(resolve('docs/ingest-openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
  });
});
