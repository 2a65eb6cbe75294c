// Decode throughput of the record-batch codecs krange ships (src/kafka/compression.ts): W1's JSON
// click events (the demo generator) packed into batch bodies of 16 KiB (librdkafka's and Java's
// usual batch under light load) and 1 MiB (a full batch), compressed once, then decompressed in a
// loop for a fixed time. MB/s are of decompressed output, one thread; ratio is plain/compressed.
// Each run checks that the output equals the input.
//
//   node --import tsx bench/codec-decode.ts [--seconds 1.5]

import { clickEvent } from '../src/demo/clickstream-events.ts';
import { CODEC, type CodecName, compress, decompress } from '../src/kafka/compression.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1.5;

function batchBody(bytes: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const s = JSON.stringify(clickEvent(parts.length));
    parts.push(s);
    n += s.length + 8; // ~8 bytes of record framing per record
  }
  return Buffer.from(parts.join('\n'));
}

const codecs: CodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];
console.log('| codec | batch | ratio | decode MB/s |');
console.log('|---|---|---|---|');
for (const size of [16 * 1024, 1024 * 1024]) {
  const plain = batchBody(size);
  for (const name of codecs) {
    const packed = await compress(CODEC[name], plain);
    if (!(await decompress(CODEC[name], packed)).equals(plain)) throw new Error(`${name}: output differs`);
    let iterations = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000) {
      await decompress(CODEC[name], packed);
      iterations++;
    }
    const s = (performance.now() - t0) / 1000;
    const mbps = (plain.length * iterations) / s / 1e6;
    const label = size >= 1024 * 1024 ? '1 MiB' : '16 KiB';
    console.log(`| ${name} | ${label} | ${(plain.length / packed.length).toFixed(1)} | ${mbps.toFixed(0)} |`);
  }
}
