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
  await withAdmin((a) =>
    a.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: true }),
  );
}

export async function withProducer<T>(
  fn: (p: Producer) => Promise<T>,
  opts: { idempotent?: boolean; transactionalId?: string } = {},
): Promise<T> {
  const p = testKafka().producer({
    allowAutoTopicCreation: false,
    ...(opts.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {}),
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
