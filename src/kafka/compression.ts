// Kafka's record-batch compression codecs, in one place: gzip (zlib), snappy (raw, and the xerial
// framing Java producers write), lz4 (the LZ4 frame format) and zstd. The range reader calls
// decompress() directly; registerKafkajsCodecs() puts the same codecs into kafkajs's registry so its
// consumers (the aggregator) and producers (dead letters) read and write every codec too.

import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);

/** The codec ids of a record batch's attributes (bits 0-2). */
export const CODEC = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CodecName = keyof typeof CODEC;
export const CODEC_NAMES = Object.keys(CODEC) as CodecName[];

// Loaded on first use: a job that never meets a compressed batch loads no native addon or WASM.
interface Snappy {
  compressSync(b: Uint8Array): Buffer;
  uncompressSync(b: Uint8Array): string | Buffer;
}
interface Lz4 {
  compressFrameSync(b: Buffer): Buffer;
  decompressFrameSync(b: Buffer): Buffer;
}
interface Zstd {
  init(): Promise<void>;
  compress(b: Uint8Array, level?: number): Uint8Array;
  decompress(b: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array;
}
let snappy: Snappy | undefined;
let lz4: Lz4 | undefined;
let zstd: Promise<Zstd> | undefined;

function snappyLib(): Snappy {
  snappy ??= require('snappy') as Snappy;
  return snappy;
}

function lz4Lib(): Lz4 {
  lz4 ??= require('lz4-napi') as Lz4;
  return lz4;
}

function zstdLib(): Promise<Zstd> {
  zstd ??= (async () => {
    const lib = require('@bokuweb/zstd-wasm') as Zstd;
    await lib.init();
    return lib;
  })();
  return zstd;
}

// snappy-java's stream header: 0x82 'SNAPPY' 0x00, then version and compatible version (int32 each).
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

/** Snappy as Kafka producers write it: xerial-framed (Java) or one raw block (librdkafka, kafkajs). */
function snappyDecompress(data: Buffer): Buffer {
  const lib = snappyLib();
  if (data.length < XERIAL_HEADER || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return asBuffer(lib.uncompressSync(data));
  }
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Error('xerial snappy block header runs past the batch');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) throw new Error('xerial snappy block runs past the batch');
    blocks.push(asBuffer(lib.uncompressSync(data.subarray(pos, pos + len))));
    pos += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
}

function asBuffer(b: string | Buffer | Uint8Array): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

// Producers stream zstd frames without their content size, and the WASM one-shot decoder needs an
// output bound: start from 8x the input (JSON compresses 5-10x) and grow until it fits.
const ZSTD_MAX_OUTPUT = 1 << 30;

function zstdDecompress(lib: Zstd, data: Buffer): Buffer {
  let capacity = Math.max(1 << 16, data.length * 8);
  for (;;) {
    try {
      return asBuffer(lib.decompress(data, { defaultHeapSize: capacity }));
    } catch (err) {
      if (capacity >= ZSTD_MAX_OUTPUT) throw err;
      capacity = Math.min(capacity * 4, ZSTD_MAX_OUTPUT);
    }
  }
}

/** The records of a compressed batch, as plain bytes. Throws on an unknown codec or corrupt data. */
export async function decompress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case CODEC.none:
      return data;
    case CODEC.gzip:
      return gunzipSync(data);
    case CODEC.snappy:
      return snappyDecompress(data);
    case CODEC.lz4:
      return lz4Lib().decompressFrameSync(data);
    case CODEC.zstd:
      return zstdDecompress(await zstdLib(), data);
    default:
      throw new Error(`unknown compression codec ${codec} (Kafka defines 0-4)`);
  }
}

/** Compressed as Kafka consumers expect it (raw snappy, which every client reads; LZ4 frames). */
export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case CODEC.none:
      return data;
    case CODEC.gzip:
      return gzipSync(data);
    case CODEC.snappy:
      return snappyLib().compressSync(data);
    case CODEC.lz4:
      return lz4Lib().compressFrameSync(data);
    case CODEC.zstd:
      return asBuffer((await zstdLib()).compress(data, 3));
    default:
      throw new Error(`unknown compression codec ${codec} (Kafka defines 0-4)`);
  }
}

/**
 * Registers snappy, lz4 and zstd in kafkajs's CompressionCodecs (gzip is built in), so every kafkajs
 * consumer and producer of this process handles them. Idempotent; a codec the application
 * registered itself is replaced by these (same formats).
 */
export function registerKafkajsCodecs(): void {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD] as const) {
    const codec = {
      compress: (encoder: { buffer: Buffer }) => compress(type, encoder.buffer),
      decompress: (buffer: Buffer) => decompress(type, buffer),
    };
    CompressionCodecs[type] = () => codec;
  }
}
