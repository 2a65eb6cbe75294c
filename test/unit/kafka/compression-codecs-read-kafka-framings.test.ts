// The codecs as Kafka producers frame them: snappy raw (librdkafka, kafkajs) and xerial-framed in
// several blocks (snappy-java, the Java producer); LZ4 frames; zstd; an unknown codec refused.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CODEC, compress, decompress } from '../../../src/kafka/compression.ts';

const require = createRequire(import.meta.url);
const snappy = require('snappy') as { compressSync(b: Buffer): Buffer };

const text = (n: number) =>
  Buffer.from(
    Array.from({ length: n }, (_, i) => JSON.stringify({ i, v: 'abc'.repeat(i % 17) })).join('\\n'),
  );

/** snappy-java's SnappyOutputStream layout, built from its documented header and block framing. */
function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.alloc(16);
  Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]).copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (const b of blocks) {
    const c = snappy.compressSync(b);
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    parts.push(len, c);
  }
  return Buffer.concat(parts);
}

describe('compression codecs', () => {
  it('reads raw snappy and xerial-framed snappy of several blocks', async () => {
    const a = text(300);
    const b = text(700);
    expect((await decompress(CODEC.snappy, snappy.compressSync(a))).equals(a)).toBe(true);
    expect((await decompress(CODEC.snappy, xerial([a, b]))).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a truncated xerial block', async () => {
    const framed = xerial([text(300)]);
    await expect(decompress(CODEC.snappy, framed.subarray(0, framed.length - 5))).rejects.toThrow(
      /runs past the batch/,
    );
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'round-trips %s, large outputs included',
    async (name) => {
      for (const n of [0, 10, 50_000]) {
        const plain = text(n);
        const packed = await compress(CODEC[name], plain);
        if (n > 1000) expect(packed.length).toBeLessThan(plain.length / 2);
        // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
        expect((await decompress(CODEC[name], packed)).equals(plain)).toBe(true);
      }
    },
  );

  it('reads LZ4 frames (magic 0x184D2204), not raw blocks', async () => {
    const packed = await compress(CODEC.lz4, text(100));
    expect(packed.readUInt32LE(0)).toBe(0x184d2204);
  });

  it('refuses an unknown codec', async () => {
    await expect(decompress(5, Buffer.from('x'))).rejects.toThrow(/unknown compression codec 5/);
  });
});
