// Smoke test: kafkajs against our broker: produce, consume in a group, admin offset calls.
import { describe, expect, it } from 'vitest';
import { createTopic, produce, testKafka, uniqueName, withAdmin } from '../helpers/kafka.ts';

describe('Kafka smoke', () => {
  it('produces, consumes in a group and reads and sets offsets with kafkajs', async () => {
    const topic = uniqueName('smoke');
    const groupId = uniqueName('g');
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
    expect(offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0)).toBe(100);

    const consumer = testKafka().consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.add(message.value?.toString() ?? '');
            if (seen.size === 100) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.commitOffsets(offsets.map((p) => ({ topic, partition: p.partition, offset: p.high })));
    await consumer.disconnect();
    expect(seen.size).toBe(100);

    await withAdmin(async (a) => {
      const committed = await a.fetchOffsets({ groupId, topics: [topic] });
      expect(committed[0]?.partitions.map((p) => p.offset).sort()).toEqual(offsets.map((p) => p.high).sort());
      await a.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
      const after = await a.fetchOffsets({ groupId, topics: [topic] });
      expect(after[0]?.partitions.find((p) => p.partition === 0)?.offset).toBe('0');
      await a.deleteGroups([groupId]);
    });
  });
});
