// Our record-batch decoder against batches written by an independent encoder (kafkajs's producer
// side, which Kafka brokers accept), including the cases a fetch response really carries: several
// batches, a batch cut short by the byte limit, control batches, aborted transactions, gzip.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { registerKafkajsCodecs } from '../../../src/kafka/compression.ts';
import { readFetchResponse } from '../../../src/kafka/fetch-response.ts';
import { type DecodeBatchesOptions, decodeRecordBatches } from '../../../src/kafka/record-batch.ts';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (o: Record<string, unknown>) => Promise<Encoded>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | string[]>;
}) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): unknown };

interface BatchSpec {
  /** The first offset (a decimal string for offsets beyond 2^53). */
  base: number | string;
  values: (string | null)[];
  keys?: (string | null)[];
  headers?: Record<string, string | string[]>;
  ts?: number;
  compression?: number;
  producerId?: number;
  transactional?: boolean;
  /** Make it a control batch; its one record's key says abort (0) or commit (1). */
  control?: 'abort' | 'commit';
}

async function batch(s: BatchSpec): Promise<Buffer> {
  const ts = s.ts ?? 1_700_000_000_000;
  const records =
    s.control === undefined
      ? s.values.map((v, i) =>
          Record({
            offsetDelta: i,
            timestampDelta: i * 1000,
            key: s.keys?.[i] ?? null,
            value: v,
            ...(s.headers ? { headers: s.headers } : {}),
          }),
        )
      : [
          Record({
            offsetDelta: 0,
            timestampDelta: 0,
            key: Buffer.from([0, 0, 0, s.control === 'abort' ? 0 : 1]),
            value: Buffer.from([0, 0, 0, 0, 0, 0]),
          }),
        ];
  const enc = await RecordBatch({
    compression: s.compression ?? 0,
    firstOffset: Long.fromValue(s.base),
    firstTimestamp: ts,
    maxTimestamp: ts + 10_000,
    lastOffsetDelta: records.length - 1,
    transactional: s.transactional ?? false,
    producerId: Long.fromValue(s.producerId ?? -1),
    records,
  });
  const buf = Buffer.from(enc.buffer);
  if (s.control !== undefined) buf.writeInt16BE(buf.readInt16BE(21) | 0x20, 21);
  return buf;
}

const opts = (o: Partial<DecodeBatchesOptions> = {}): DecodeBatchesOptions => ({
  topic: 't',
  partition: 3,
  from: 0n,
  end: 1_000_000n,
  readCommitted: false,
  abortedTransactions: [],
  ...o,
});

async function decode(bufs: Buffer[], o: Partial<DecodeBatchesOptions> = {}) {
  const all = Buffer.concat(bufs);
  return decodeRecordBatches(all, 0, all.length, opts(o));
}

describe('decodeRecordBatches', () => {
  it('reads offsets, timestamps, keys, values and headers of several batches', async () => {
    const { records, nextOffset } = await decode([
      await batch({ base: 10, values: ['{"a":1}', 'é✓', null], keys: ['k0', null, 'k2'] }),
      await batch({ base: 13, values: ['x'], headers: { h: 'v', multi: ['1', '2'] }, ts: 5 }),
    ]);
    expect(nextOffset).toBe(14n);
    expect(records.map((r) => r.offset)).toEqual([10n, 11n, 12n, 13n]);
    expect(records.map((r) => r.timestamp)).toEqual([
      1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000, 5,
    ]);
    expect(records.map((r) => r.key?.toString() ?? null)).toEqual(['k0', null, 'k2', null]);
    expect(records.map((r) => r.value?.toString() ?? null)).toEqual(['{"a":1}', 'é✓', null, 'x']);
    expect(records.map((r) => r.valueText())).toEqual(['{"a":1}', 'é✓', null, 'x']);
    expect(records[3]!.headers).toEqual({ h: 'v', multi: '1,2' });
    expect(records[0]!.headers).toEqual({});
    expect(records.every((r) => r.topic === 't' && r.partition === 3)).toBe(true);
  });

  it('keeps only [from, end) and still reports the offset after the last whole batch', async () => {
    const { records, nextOffset } = await decode(
      [await batch({ base: 0, values: ['a', 'b', 'c', 'd'] }), await batch({ base: 4, values: ['e', 'f'] })],
      { from: 2n, end: 5n },
    );
    expect(records.map((r) => r.valueText())).toEqual(['c', 'd', 'e']);
    expect(nextOffset).toBe(6n);
  });

  it('keeps offsets exact as numbers below 2^53 and as bigints beyond, with their decimal text', async () => {
    const small = await decode([await batch({ base: 9_007_199_254_740_000, values: ['a', 'b'] })], {
      end: 2n ** 53n,
    });
    expect(small.records.map((r) => r.offset)).toEqual([9_007_199_254_740_000n, 9_007_199_254_740_001n]);
    expect(small.records.map((r) => r.offsetText())).toEqual(['9007199254740000', '9007199254740001']);
    const base = 2n ** 63n - 10n;
    const { records, nextOffset } = await decode(
      [await batch({ base: base.toString(), values: ['a', 'b', 'c', 'd'] })],
      { from: base + 1n, end: base + 3n },
    );
    expect(records.map((r) => r.valueText())).toEqual(['b', 'c']);
    expect(records.map((r) => r.offset)).toEqual([base + 1n, base + 2n]);
    expect(records.map((r) => r.offsetText())).toEqual([(base + 1n).toString(), (base + 2n).toString()]);
    expect(nextOffset).toBe(base + 4n);
  });

  it('stops before a batch cut short by the fetch byte limit', async () => {
    const first = await batch({ base: 0, values: ['a', 'b'] });
    const second = await batch({ base: 2, values: ['c', 'd'] });
    for (const cut of [1, 11, 12, 40, second.length - 1]) {
      const { records, nextOffset } = await decode([first, second.subarray(0, cut)]);
      expect(records.map((r) => r.valueText())).toEqual(['a', 'b']);
      expect(nextOffset).toBe(2n);
    }
    expect((await decode([first.subarray(0, 30)])).nextOffset).toBeUndefined();
  });

  it.each([
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ])('decompresses %s batches (kafkajs encodes them with the codecs krange registers)', async (_, codec) => {
    registerKafkajsCodecs();
    const values = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i) }));
    const b = await batch({ base: 100, values, compression: codec });
    expect(b.readInt16BE(21) & 0x07).toBe(codec);
    const { records, nextOffset } = await decode([b]);
    expect(records.map((r) => r.valueText())).toEqual(values);
    expect(records.at(-1)!.offset).toBe(149n);
    expect(nextOffset).toBe(150n);
  });

  it('names the batch and codec when a compressed batch cannot be read', async () => {
    const b = await batch({ base: 0, values: ['a'] });
    b.writeInt16BE(b.readInt16BE(21) | 0x03, 21); // claims lz4
    await expect(decode([b])).rejects.toThrow(/cannot decompress the record batch at offset 0 \(codec lz4\)/);
  });

  it('skips control batches and, read-committed, the batches of aborted transactions', async () => {
    const bufs = [
      await batch({ base: 0, values: ['p1-a', 'p1-b'], producerId: 1, transactional: true }),
      await batch({ base: 2, values: ['p2-a'], producerId: 2, transactional: true }),
      await batch({ base: 3, values: [], producerId: 1, control: 'abort' }),
      await batch({ base: 4, values: [], producerId: 2, control: 'commit' }),
      // Producer 1 again, in a new transaction that commits: must not be dropped.
      await batch({ base: 5, values: ['p1-c'], producerId: 1, transactional: true }),
      await batch({ base: 6, values: [], producerId: 1, control: 'commit' }),
      await batch({ base: 7, values: ['plain'] }),
    ];
    const committed = await decode(bufs, {
      readCommitted: true,
      abortedTransactions: [{ producerId: 1n, firstOffset: 0n }],
    });
    expect(committed.records.map((r) => r.valueText())).toEqual(['p2-a', 'p1-c', 'plain']);
    expect(committed.nextOffset).toBe(8n);
    const uncommitted = await decode(bufs);
    expect(uncommitted.records.map((r) => r.valueText())).toEqual(['p1-a', 'p1-b', 'p2-a', 'p1-c', 'plain']);
  });

  it('refuses an old message format with what to do', async () => {
    const b = await batch({ base: 0, values: ['a'] });
    b.writeInt8(1, 16);
    await expect(decode([b])).rejects.toThrow(/message format v1; krange reads v2/);
  });
});

describe('readFetchResponse', () => {
  function response(version: number, records: Buffer, errorCode = 0): Buffer {
    const parts: Buffer[] = [];
    const i16 = (v: number) => {
      const b = Buffer.alloc(2);
      b.writeInt16BE(v);
      parts.push(b);
    };
    const i32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      parts.push(b);
    };
    const i64 = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v);
      parts.push(b);
    };
    const str = (s: string) => {
      i16(Buffer.byteLength(s));
      parts.push(Buffer.from(s));
    };
    i32(0); // throttle
    if (version >= 7) {
      i16(0);
      i32(0);
    }
    i32(2); // topics
    for (const topic of ['other', 't']) {
      str(topic);
      i32(2);
      for (const p of [3, 4]) {
        i32(p);
        i16(topic === 't' && p === 3 ? errorCode : 0);
        i64(500n); // high watermark
        i64(499n); // last stable
        if (version >= 5) i64(0n);
        i32(topic === 't' && p === 3 ? 1 : -1);
        if (topic === 't' && p === 3) {
          i64(7n);
          i64(42n);
        }
        if (version >= 11) i32(-1);
        const mine = topic === 't' && p === 3;
        i32(mine ? records.length : 0);
        if (mine) parts.push(records);
      }
    }
    return Buffer.concat(parts);
  }

  it.each([4, 5, 7, 11])('finds the partition and its records in a v%i response', async (v) => {
    const records = await batch({ base: 20, values: ['a', 'b'] });
    const payload = response(v, records);
    const h = readFetchResponse(payload, v, 't', 3)!;
    expect(h).toMatchObject({ errorCode: 0, highWatermark: 500n, lastStableOffset: 499n });
    expect(h.abortedTransactions).toEqual([{ producerId: 7n, firstOffset: 42n }]);
    const d = await decodeRecordBatches(payload, h.recordsStart, h.recordsEnd, opts());
    expect(d.records.map((r) => r.valueText())).toEqual(['a', 'b']);
    expect(readFetchResponse(payload, v, 't', 9)).toBeUndefined();
    expect(readFetchResponse(response(v, records, 1), v, 't', 3)!.errorCode).toBe(1);
  });
});
