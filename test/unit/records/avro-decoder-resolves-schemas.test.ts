// avro({ schema }) reads bare Avro values; longs beyond 2^53 come back as exact BigInts; a framed
// value that is not Confluent's (magic byte) is refused with what was found.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { avro } from '../../../src/records/decoders/avro-decoder.ts';

const require = createRequire(import.meta.url);
const avsc = require('avsc') as typeof import('avsc');

const schema = {
  type: 'record' as const,
  name: 'Event',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'tag', type: ['null', 'string'], default: null },
  ],
};

/** A long's zig-zag varint, written by hand (avsc's own long type refuses unsafe numbers). */
function zigzagLong(v: bigint): Buffer {
  let z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

describe('avro decoder', () => {
  it('reads bare values with the given schema', () => {
    const d = avro({ schema });
    const buf = avsc.Type.forSchema(schema).toBuffer({ id: 42, tag: 'x' });
    expect(d.decode(buf)).toEqual({ id: 42, tag: 'x' });
    expect(d.decode(null)).toBeNull();
  });

  it('keeps longs beyond 2^53 exact as BigInt', () => {
    const d = avro({ schema });
    const body = Buffer.concat([zigzagLong(-9223372036854775808n), Buffer.from([0])]);
    expect((d.decode(body) as { id: bigint }).id).toBe(-9223372036854775808n);
    const body2 = Buffer.concat([zigzagLong(9007199254740993n), Buffer.from([0])]);
    expect((d.decode(body2) as { id: bigint }).id).toBe(9007199254740993n);
  });

  it('refuses an unframed value when schemas by id are given', () => {
    const d = avro({ schemas: { 1: schema } });
    expect(() => d.decode(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(
      /not a Confluent-framed value \(magic byte 1/,
    );
    const framed = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 1]),
      avsc.Type.forSchema(schema).toBuffer({ id: 7, tag: null }),
    ]);
    expect(d.decode(framed)).toEqual({ id: 7, tag: null });
  });
});
