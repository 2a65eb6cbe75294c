// Test helpers for Kafka: unique topics, producing records, reading watermarks.
import { randomUUID } from 'node:crypto';
import { type Admin, CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';

export function brokers(): string[] {
  return (process.env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
}

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'krange-test', brokers: brokers(), logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(
  topic: string,
  partitions: number,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  await withAdmin(async (a) => {
    await a.createTopics({
      topics: [{ topic, numPartitions: partitions, configEntries }],
      waitForLeaders: false,
    });
    // kafkajs's waitForLeaders retries only LEADER_NOT_AVAILABLE; on a loaded broker the new topic
    // can still be unknown to the metadata cache (UNKNOWN_TOPIC_OR_PARTITION). Poll until every
    // partition has a leader, for at most 60 s.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const m = await a.fetchTopicMetadata({ topics: [topic] });
        const ps = m.topics[0]?.partitions ?? [];
        if (ps.length === partitions && ps.every((p) => p.leader >= 0)) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline)
        throw new Error(`topic ${topic} has no leader for every partition after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
}

export async function withProducer<T>(
  fn: (p: Producer) => Promise<T>,
  opts: { idempotent?: boolean; transactionalId?: string } = {},
): Promise<T> {
  // Idempotent unless a test asks otherwise: a send retried after a partial failure (a fresh broker
  // under load answering some partitions with a retriable error) must not write the others twice,
  // or a test counts records it never meant to produce.
  const p = testKafka().producer({
    allowAutoTopicCreation: false,
    ...((opts.idempotent ?? true) ? { idempotent: true, maxInFlightRequests: 1 } : {}),
    ...(opts.transactionalId
      ? { transactionalId: opts.transactionalId, idempotent: true, maxInFlightRequests: 1 }
      : {}),
  });
  await p.connect();
  try {
    return await fn(p);
  } finally {
    await p.disconnect();
  }
}

export interface TestMessage {
  key?: string | null;
  value: string | Buffer | null;
  partition?: number;
}

export async function produce(
  topic: string,
  messages: TestMessage[],
  compression = CompressionTypes.None,
): Promise<void> {
  await withProducer(async (p) => {
    for (let i = 0; i < messages.length; i += 2000) {
      await p.send({ topic, acks: -1, compression, messages: messages.slice(i, i + 2000) });
    }
  });
}

export async function watermarks(topic: string): Promise<{ partition: number; low: bigint; high: bigint }[]> {
  return withAdmin(async (a) =>
    (await a.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      low: BigInt(p.low),
      high: BigInt(p.high),
    })),
  );
}
