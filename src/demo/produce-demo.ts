// `krange produce-demo`: creates the demo topic if needed and produces deterministic click events,
// continuing after the events already there (so repeated calls add new data, never duplicates).

import { CompressionTypes } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafka } from '../kafka/kafka-client.ts';
import { clickEvent } from './clickstream-events.ts';

export interface ProduceDemoOptions {
  topic: string;
  records: number;
  partitions: number;
  /** Produce only when the topic holds no records. */
  ifEmpty: boolean;
  logger: Logger;
  brokers: string[];
}

export interface ProduceDemoResult {
  topic: string;
  produced: number;
  firstEvent: number;
  seconds: number;
}

export async function produceDemo(o: ProduceDemoOptions): Promise<ProduceDemoResult> {
  const started = performance.now();
  const kafka = createKafka({ brokers: o.brokers, clientId: 'krange-produce-demo', logger: o.logger });
  const admin = kafka.admin();
  await admin.connect();
  let existing = 0;
  try {
    if (!(await admin.listTopics()).includes(o.topic)) {
      await admin.createTopics({
        topics: [{ topic: o.topic, numPartitions: o.partitions }],
        waitForLeaders: true,
      });
    } else {
      for (const p of await admin.fetchTopicOffsets(o.topic)) existing += Number(p.high) - Number(p.low);
    }
  } finally {
    await admin.disconnect();
  }
  if (o.ifEmpty && existing > 0) return { topic: o.topic, produced: 0, firstEvent: existing, seconds: 0 };
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // One send is one record batch per partition; stay well under the broker's 1 MiB message.max.bytes.
    const batch = 2000;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < o.records; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(o.records, i + batch); j++) {
        const ev = clickEvent(existing + j);
        messages.push({ key: String(ev.user_id), value: JSON.stringify(ev) });
      }
      inFlight.push(
        producer.send({ topic: o.topic, messages, acks: -1, compression: CompressionTypes.None }),
      );
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return {
    topic: o.topic,
    produced: o.records,
    firstEvent: existing,
    seconds: (performance.now() - started) / 1000,
  };
}
