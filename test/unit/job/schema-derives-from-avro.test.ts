// `schema: fromRegistry(...)` and `schema: fromAvroSchema(...)`: the job's columns derived from an
// Avro record when the job is loaded. The registry is a local server replaying responses in the
// documented REST shape (test/helpers/registry-replay.ts): no registry server can be installed here.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { t } from '../../../src/index.ts';
import { loadJob } from '../../../src/job/job-loader.ts';
import { schemaFromAvro } from '../../../src/job/schema-from-avro.ts';
import { avro } from '../../../src/records/decoders/avro-decoder.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';
import { type RegistryReplay, replayRegistry } from '../../helpers/registry-replay.ts';

const require = createRequire(import.meta.url);
const avsc = require('avsc') as typeof import('avsc');
const INDEX = resolve('src/index.ts');

let replay: RegistryReplay | undefined;
afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

/** A job module whose schema is `schemaExpr` (fromRegistry, fromAvroSchema and t in scope). */
function jobFile(schemaExpr: string, extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'krange-derived-'));
  const file = join(dir, 'derived.mts');
  writeFileSync(
    file,
    `import { avro, defineJob, fromAvroSchema, fromRegistry, parquet, t } from ${JSON.stringify(INDEX)};\n` +
      `export default defineJob({ name: 'derived', topics: ['clicks'], ${extra}\n` +
      `  schema: ${schemaExpr},\n  sinks: [parquet({ path: 'file:///tmp/unused' })] });\n`,
  );
  return file;
}

const CLICKS = {
  event_id: t.utf8(),
  user_id: t.int64(),
  qty: t.int32(),
  ts: t.timestamp('ms'),
  seen_us: t.timestamp('us'),
  local_ts: t.nullable(t.timestamp('ms', null)),
  price: t.nullable(t.float64()),
  score: t.float64(),
  mobile: t.bool(),
  device: t.utf8(),
  previous_device: t.nullable(t.utf8()),
  tags: t.list(t.utf8()),
  referrer: t.nullable(t.utf8()),
};

describe('schema derived from Avro', () => {
  it('maps each Avro type to its column type', () => {
    const m = schemaFromAvro({
      type: 'record',
      name: 'E',
      fields: [
        { name: 'n', type: { type: 'long', logicalType: 'timestamp-nanos' } },
        { name: 'lu', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
        { name: 'items', type: { type: 'array', items: ['null', 'int'] } },
        { name: 'nested_list', type: ['null', { type: 'array', items: { type: 'array', items: 'double' } }] },
        // Avro: a logical type on a type it does not annotate is ignored.
        { name: 'odd', type: { type: 'string', logicalType: 'timestamp-millis' } },
      ],
    });
    expect(m).toEqual({
      problems: [],
      schema: {
        n: t.timestamp('ns'),
        lu: t.timestamp('us', null),
        items: t.list(t.nullable(t.int32())),
        nested_list: t.nullable(t.list(t.list(t.float64()))),
        odd: t.utf8(),
      },
    });
  });

  it('fromRegistry: the subject is fetched once at load and becomes the schema, plus `fields`', async () => {
    replay = await replayRegistry();
    const job = await loadJob(
      jobFile(
        `fromRegistry({ registry: '${replay.url}', subject: 'clicks-value', fields: { kafka_offset: t.int64(), qty: t.int64() } })`,
      ),
    );
    expect(job.spec.schema).toEqual({ ...CLICKS, qty: t.int64(), kafka_offset: t.int64() });
    expect(replay.hits).toEqual(['/subjects/clicks-value/versions/latest']);
    expect(job.schemaOrigin).toMatchObject({ subject: 'clicks-value', version: 3, id: 12 });
    expect(job.schemaOrigin?.text).toBe(
      `registry subject 'clicks-value' version 3 (schema id 12) at ${replay.url}`,
    );

    const pinned = await loadJob(
      jobFile(`fromRegistry({ registry: { url: '${replay.url}' }, subject: 'clicks-value', version: 1 })`),
    );
    expect(pinned.spec.schema).toEqual({ event_id: t.utf8(), user_id: t.int64(), qty: t.int32() });
    expect(replay.hits.at(-1)).toBe('/subjects/clicks-value/versions/1');
  });

  it('a driver-resolved schema is used as given (workers do not ask the registry)', async () => {
    replay = await replayRegistry();
    const file = jobFile(`fromRegistry({ registry: '${replay.url}', subject: 'clicks-value' })`);
    const job = await loadJob(file, undefined, { only: t.utf8() });
    expect(job.spec.schema).toEqual({ only: t.utf8() });
    expect(replay.hits).toEqual([]);
  });

  it('refuses the fields it cannot map, naming the subject and each field; `fields` types them', async () => {
    replay = await replayRegistry();
    const err = await loadJob(
      jobFile(`fromRegistry({ registry: '${replay.url}', subject: 'orders-value' })`),
    ).catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_CONFIG') && !err.retriable).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain(
      "schema: fromRegistry('orders-value'): registry subject 'orders-value' version 1 (schema id 20)",
    );
    for (const line of [
      "field 'address' (record): record 'Address': krange has no struct column type",
      "field 'amount' (bytes (decimal)): decimal: krange has no decimal column type",
      "field 'attrs' (map): map: krange has no map column type",
      "field 'day' (int (date)): date: krange has no date column type",
      "field 'key' (bytes): bytes: krange has no binary column type",
      "field 'either' (union [null, string, long]): union [null, string, long]: a column has one type",
    ]) {
      expect(msg).toContain(line);
    }
    expect(msg).not.toContain("field 'id'");

    const typed = await loadJob(
      jobFile(
        `fromRegistry({ registry: '${replay.url}', subject: 'orders-value', fields: { address: t.utf8(), amount: t.utf8(), attrs: t.utf8(), day: t.int32(), key: t.utf8(), either: t.utf8() } })`,
      ),
    );
    expect(typed.spec.schema['id']).toEqual(t.int64());
    expect(typed.spec.schema['day']).toEqual(t.int32());
  });

  it('an unreachable registry is a retriable error naming the subject; a missing subject is not', async () => {
    const err = await loadJob(
      jobFile(
        `fromRegistry({ registry: { url: 'http://127.0.0.1:9', timeoutMs: 2000 }, subject: 'clicks-value' })`,
      ),
    ).catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_SCHEMA_REGISTRY') && err.retriable).toBe(true);
    expect((err as Error).message).toMatch(
      /derived\.mts: schema: fromRegistry\('clicks-value'\): cannot reach the schema registry at http:\/\/127.0.0.1:9\/subjects\/clicks-value\/versions\/latest.*retry once the registry answers/,
    );

    replay = await replayRegistry(1);
    const failing = await loadJob(
      jobFile(`fromRegistry({ registry: '${replay.url}', subject: 'clicks-value' })`),
    ).catch((e: unknown) => e);
    expect(isKrangeError(failing, 'KRANGE_SCHEMA_REGISTRY') && failing.retriable).toBe(true);

    const missing = await loadJob(
      jobFile(`fromRegistry({ registry: '${replay.url}', subject: 'missing-value' })`),
    ).catch((e: unknown) => e);
    expect(isKrangeError(missing, 'KRANGE_SCHEMA_REGISTRY') && !missing.retriable).toBe(true);
    expect((missing as Error).message).toContain("has no subject 'missing-value'");

    const proto = await loadJob(
      jobFile(`fromRegistry({ registry: '${replay.url}', subject: 'proto-events-value' })`),
    ).catch((e: unknown) => e);
    expect(isKrangeError(proto, 'KRANGE_CONFIG')).toBe(true);
    expect((proto as Error).message).toContain('is a PROTOBUF schema; only Avro records can be derived');
  });

  it('fromAvroSchema reads a local .avsc file; its values fit the derived columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krange-avsc-'));
    const schema = {
      type: 'record',
      name: 'Reading',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    };
    const avsc_ = join(dir, 'reading.avsc');
    writeFileSync(avsc_, JSON.stringify(schema));
    const job = await loadJob(
      jobFile(`fromAvroSchema('${avsc_}')`, `decoder: avro({ schema: '${avsc_}' }),`),
    );
    expect(job.spec.schema).toEqual({
      id: t.int64(),
      at: t.timestamp('us'),
      kind: t.utf8(),
      note: t.nullable(t.utf8()),
    });
    expect(job.schemaOrigin?.text).toBe(`Avro schema file ${avsc_}`);

    // The decoder gives timestamp-micros as a BigInt of microseconds, which the us column keeps
    // exactly (a plain number would be read as milliseconds).
    const at = 1_700_000_000_123_456n;
    const value = Buffer.from(
      avsc.Type.forSchema(schema as never).toBuffer({ id: 42, at: Number(at), kind: 'B', note: null }),
    );
    expect(avro({ schema: avsc_ }).decode(value)).toMatchObject({ at });
    const p = new RecordProcessor(job.spec);
    const out = p.process({
      topic: 'clicks',
      partition: 0,
      offset: 0n,
      timestamp: 0,
      key: null,
      value,
      headers: {},
    });
    expect(out.ok && out.rows[0]?.values).toEqual([42, at, 'B', null]);

    const missing = await loadJob(jobFile(`fromAvroSchema('${join(dir, 'nope.avsc')}')`)).catch(
      (e: unknown) => e,
    );
    expect(isKrangeError(missing, 'KRANGE_CONFIG')).toBe(true);
    expect((missing as Error).message).toMatch(
      /schema: fromAvroSchema\('.*nope\.avsc'\): cannot read the schema file/,
    );
  });
});
