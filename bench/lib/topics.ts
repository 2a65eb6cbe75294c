// Benchmark topics: `bench-clicks-<N>` holds exactly the demo events 0..N-1 over 8 partitions,
// produced once (before any timing) and kept, so later runs start at once.

import pino from 'pino';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { produceDemo } from '../../src/demo/produce-demo.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';

export interface TopicInfo {
  topic: string;
  records: number;
  partitions: { partition: number; low: bigint; high: bigint }[];
}

const quiet = pino({ level: 'warn' });

export function benchTopic(records: number): string {
  return `bench-clicks-${records}`;
}

export async function topicInfo(topic: string): Promise<TopicInfo | undefined> {
  const admin = createKafka({ brokers: serviceEndpoints().kafkaBrokers, clientId: 'krange-bench' }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const parts = (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      low: BigInt(p.low),
      high: BigInt(p.high),
    }));
    parts.sort((a, b) => a.partition - b.partition);
    return { topic, records: parts.reduce((s, p) => s + Number(p.high - p.low), 0), partitions: parts };
  } finally {
    await admin.disconnect();
  }
}

/** Makes `topic` hold exactly `records` demo events on `partitions` partitions (produces what is missing). */
export async function ensureDemoTopic(topic: string, records: number, partitions = 8): Promise<TopicInfo> {
  const before = await topicInfo(topic);
  const have = before?.records ?? 0;
  if (have > records)
    throw new Error(`${topic} holds ${have} records, more than the ${records} expected; delete it`);
  if (before !== undefined && before.partitions.length !== partitions) {
    throw new Error(`${topic} has ${before.partitions.length} partitions, not ${partitions}; delete it`);
  }
  if (have < records) {
    process.stderr.write(`[bench] producing ${records - have} events to ${topic} (not timed)\n`);
    const r = await produceDemo({
      brokers: serviceEndpoints().kafkaBrokers,
      topic,
      records: records - have,
      partitions,
      ifEmpty: false,
      logger: quiet,
    });
    process.stderr.write(`[bench] produced ${r.produced} events in ${r.seconds.toFixed(1)} s\n`);
  }
  const after = await topicInfo(topic);
  if (after === undefined || after.records !== records) {
    throw new Error(`${topic} holds ${after?.records ?? 0} records after producing, expected ${records}`);
  }
  return after;
}

const payloadCache = new Map<number, number>();

/** Bytes of the JSON values of demo events 0..n-1 (what a job reads from Kafka, keys excluded). */
export function payloadBytes(n: number): number {
  const cached = payloadCache.get(n);
  if (cached !== undefined) return cached;
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += Buffer.byteLength(JSON.stringify(clickEvent(i)));
  payloadCache.set(n, bytes);
  return bytes;
}
