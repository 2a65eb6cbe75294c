// Registry-backed decoders against a local HTTP server replaying the registry's documented
// responses (test/helpers/registry-replay.ts; a stand-in only because no registry server can be
// installed here): writer schemas fetched once per id and resolved to the reader, unknown ids refused per
// record, an unreachable or failing registry a retriable error that is asked again next batch.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { t } from '../../../src/index.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { avro } from '../../../src/records/decoders/avro-decoder.ts';
import { jsonSchema } from '../../../src/records/decoders/json-schema-decoder.ts';
import { protobuf } from '../../../src/records/decoders/protobuf-decoder.ts';
import { SchemaRegistryClient } from '../../../src/records/decoders/schema-registry.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';
import { REGISTRY_FIXTURES, type RegistryReplay, replayRegistry } from '../../helpers/registry-replay.ts';

const require = createRequire(import.meta.url);
const avsc = require('avsc') as typeof import('avsc');
const DIR = REGISTRY_FIXTURES;

let replay: RegistryReplay | undefined;
afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

async function registry(failFirst = 0): Promise<RegistryReplay> {
  replay = await replayRegistry(failFirst);
  return replay;
}

const schemaOf = (id: number) =>
  JSON.parse(JSON.parse(readFileSync(`${DIR}/schemas-ids-${id}.json`, 'utf8')).schema);
const frame = (id: number, body: Buffer) => {
  const h = Buffer.alloc(5);
  h.writeInt32BE(id, 1);
  return Buffer.concat([h, body]);
};

describe('schema registry decoders', () => {
  it('avro({ registry, schema }) fetches each writer id once and resolves it to the reader', async () => {
    const r = await registry();
    const d = avro({ registry: r.url, schema: schemaOf(2) });
    const v1 = frame(1, avsc.Type.forSchema(schemaOf(1)).toBuffer({ id: 1, name: 'a' }));
    const v2 = frame(2, avsc.Type.forSchema(schemaOf(2)).toBuffer({ id: 2, name: 'b', email: 'b@x' }));
    await d.prepare!([v1, v2, v1, null]);
    await d.prepare!([v2, v1]);
    expect(r.hits.sort()).toEqual(['/schemas/ids/1', '/schemas/ids/2']);
    expect(d.decode(v1)).toEqual({ id: 1, name: 'a', email: 'unknown' });
    expect(d.decode(v2)).toEqual({ id: 2, name: 'b', email: 'b@x' });
  });

  it('an id the registry does not know fails that record only', async () => {
    const r = await registry();
    const d = avro({ registry: r.url });
    const v9 = frame(9, Buffer.from([2, 2, 0x61]));
    await d.prepare!([v9]);
    expect(() => d.decode(v9)).toThrow(/Avro schema id 9 is not in the schema registry/);
  });

  it('an unreachable or failing registry is a retriable error, asked again next batch', async () => {
    const closed = new SchemaRegistryClient({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const err = await closed.schemaById(1).catch((e: unknown) => e);
    expect(isKrangeError(err) && err.code === 'KRANGE_SCHEMA_REGISTRY' && err.retriable).toBe(true);
    expect((err as Error).message).toMatch(
      /cannot reach the schema registry at http:\/\/127.0.0.1:9\/schemas\/ids\/1/,
    );

    const r = await registry(1);
    const d = avro({ registry: r.url });
    const v1 = frame(1, avsc.Type.forSchema(schemaOf(1)).toBuffer({ id: 5, name: 'e' }));
    await expect(d.prepare!([v1])).rejects.toMatchObject({ code: 'KRANGE_SCHEMA_REGISTRY', retriable: true });
    await d.prepare!([v1]);
    expect(d.decode(v1)).toEqual({ id: 5, name: 'e' });
  });

  it('jsonSchema({ registry }) checks the id and parses the text with exact int64', async () => {
    const r = await registry();
    const d = jsonSchema({ registry: r.url });
    const ok = frame(5, Buffer.from('{"id":12345678901234567890}'));
    const wrongType = frame(1, Buffer.from('{"id":1}'));
    await d.prepare!([ok, wrongType]);
    expect(d.decode(ok)).toEqual({ id: 12345678901234567890n });
    expect(() => d.decode(wrongType)).toThrow(/schema id 1 is AVRO in the registry, not JSON/);
  });

  it('the record processor prepares each batch before decoding it', async () => {
    const r = await registry();
    const spec = validateJob(
      {
        name: 'reg',
        topics: ['t'],
        decoder: avro({ registry: r.url, schema: schemaOf(2) }),
        schema: { id: t.int64(), name: t.utf8(), email: t.utf8() },
        sinks: [{ kind: 'parquet', path: '/tmp/unused' }],
      },
      'test',
    );
    const p = new RecordProcessor(spec);
    const value = frame(1, avsc.Type.forSchema(schemaOf(1)).toBuffer({ id: 3, name: 'c' }));
    const rec = { topic: 't', partition: 0, offset: 0n, timestamp: 0, key: null, value, headers: {} };
    await p.prepare([rec]);
    const out = p.process(rec);
    expect(out.ok && out.rows[0]?.values).toEqual([3, 'c', 'unknown']);
  });

  it('protobuf({ registry }) follows the message-index path and keeps 64-bit integers exact', async () => {
    const r = await registry();
    const pb = require('protobufjs') as typeof import('protobufjs');
    const proto = JSON.parse(readFileSync(`${DIR}/schemas-ids-6.json`, 'utf8')).schema as string;
    const root = pb.parse(proto, { keepCase: true }).root;
    const Event = root.lookupType('shop.Event');
    const Line = root.lookupType('shop.Event.Line');
    const body = Buffer.from(
      Event.encode(
        Event.fromObject({
          id: '9223372036854775807',
          name: 'n',
          kind: 'B',
          lines: [{ qty: '18446744073709551615' }, { qty: 3 }],
        }),
      ).finish(),
    );
    // Event is the second top-level message: path [1] = count 1, index 1, both zig-zag varints.
    const event = Buffer.concat([frame(6, Buffer.from([2, 2])), body]);
    const line = Buffer.concat([
      frame(6, Buffer.from([4, 2, 0])),
      Buffer.from(Line.encode({ qty: 7 }).finish()),
    ]);
    const d = protobuf({ registry: r.url });
    await d.prepare!([event, line]);
    expect(d.decode(event)).toEqual({
      id: 9223372036854775807n,
      name: 'n',
      kind: 'B',
      lines: [{ qty: 18446744073709551615n }, { qty: 3 }],
    });
    expect(d.decode(line)).toEqual({ qty: 7 });
    const avroId = frame(1, Buffer.from([0]));
    await d.prepare!([avroId]);
    expect(() => d.decode(avroId)).toThrow(/schema id 1 is AVRO in the registry, not PROTOBUF/);
  });

  it('reads the latest version of a subject', async () => {
    const r = await registry();
    const latest = await new SchemaRegistryClient({ url: r.url }).latest('shop-events-value');
    expect({ id: latest.id, version: latest.version, type: latest.schemaType }).toEqual({
      id: 2,
      version: 2,
      type: 'AVRO',
    });
  });
});
