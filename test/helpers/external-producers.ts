// Producers krange did not write, for topics as real clients leave them: Debian's kcat (librdkafka;
// raw snappy, LZ4 frames, zstd streams) and Kafka's own console producer from the broker's jars
// (Java: xerial-framed snappy, KafkaLZ4BlockOutputStream, zstd-jni). One message per line.

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { brokers } from './kafka.ts';

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const KAFKA_SH = resolve('scripts/services/kafka.sh');

/** kcat -P: each line one message to `partition`, batches compressed with `codec`. */
export function kcatProduce(topic: string, partition: number, codec: Codec, lines: string[]): void {
  execFileSync(
    'kcat',
    ['-P', '-b', brokers().join(','), '-t', topic, '-p', String(partition), '-z', codec, '-X', 'acks=all'],
    { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 },
  );
}

/** Kafka's ConsoleProducer (a JVM start, a few seconds): each line one message, sticky partitioner. */
export function javaProduce(topic: string, codec: Codec, lines: string[]): void {
  execFileSync(
    'bash',
    [
      KAFKA_SH,
      'run-class',
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      brokers().join(','),
      '--topic',
      topic,
      '--compression-codec',
      codec,
      '--producer-property',
      'acks=all',
    ],
    { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

/** kcat -C of a whole topic: each message as `key<TAB>value` (values must not hold newlines). */
export function kcatConsume(topic: string): { key: string; value: string }[] {
  const out = execFileSync(
    'kcat',
    ['-C', '-b', brokers().join(','), '-t', topic, '-e', '-q', '-f', '%k\\t%s\\n'],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const tab = l.indexOf('\t');
      return { key: l.slice(0, tab), value: l.slice(tab + 1) };
    });
}
