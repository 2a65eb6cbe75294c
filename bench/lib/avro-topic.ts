// The Avro variant of the benchmark topic: `bench-clicks-avro-<N>` holds demo events 0..N-1 as bare
// Avro values written with bench/avro/clickstream.avsc (ts as timestamp-millis), keyed by user_id
// as the JSON topic is, so each event lands on the same partition and offset as in
// `bench-clicks-<N>` and the outputs' checksums compare with W1's. Produced once, before any timing.
// Written with avsc: benchmark data, not a test of the decoder (the tests use fastavro).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CompressionTypes } from 'kafkajs';
import pino from 'pino';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { type TopicInfo, topicInfo } from './topics.ts';

const require = createRequire(import.meta.url);
export const CLICKS_AVSC = fileURLToPath(new URL('../avro/clickstream.avsc', import.meta.url));

function avroType(): import('avsc').Type {
  const avsc = require('avsc') as typeof import('avsc');
  return avsc.Type.forSchema(JSON.parse(readFileSync(CLICKS_AVSC, 'utf8')) as import('avsc').Schema, {
    wrapUnions: 'auto',
  });
}

function avroValue(type: import('avsc').Type, i: number): Buffer {
  const ev = clickEvent(i);
  return type.toBuffer({ ...ev, ts: Date.parse(ev.ts) });
}

/** Bytes of the Avro values of demo events 0..n-1. */
export function avroPayloadBytes(n: number): number {
  const type = avroType();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += avroValue(type, i).length;
  return bytes;
}

export async function ensureAvroDemoTopic(
  topic: string,
  records: number,
  partitions = 8,
): Promise<TopicInfo> {
  const before = await topicInfo(topic);
  const have = before?.records ?? 0;
  if (have === records && before?.partitions.length === partitions) return before;
  if (have > 0 || (before !== undefined && before.partitions.length !== partitions))
    throw new Error(
      `${topic} holds ${have} records on ${before?.partitions.length} partitions, not ${records} on ${partitions}; delete it`,
    );
  process.stderr.write(`[bench] producing ${records} Avro events to ${topic} (not timed)\n`);
  const started = performance.now();
  const kafka = createKafka({
    brokers: serviceEndpoints().kafkaBrokers,
    clientId: 'krange-bench-avro',
    logger: pino({ level: 'warn' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (before === undefined)
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
    for (let tries = 0; ; tries++) {
      const m = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const ps = m?.topics[0]?.partitions ?? [];
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) break;
      if (tries > 300) throw new Error(`${topic}: no leader for every partition`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
  const type = avroType();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const batch = 2000;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < records; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(records, i + batch); j++) {
        messages.push({ key: String(clickEvent(j).user_id), value: avroValue(type, j) });
      }
      inFlight.push(producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None }));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const after = await topicInfo(topic);
  if (after === undefined || after.records !== records) {
    throw new Error(`${topic} holds ${after?.records ?? 0} records after producing, expected ${records}`);
  }
  process.stderr.write(
    `[bench] produced ${records} Avro events in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return after;
}
