// The linear replacements of kafkajs's Cluster.findLeaderForPartitions and fetchTopicsOffset give
// what the originals give: the same grouping by leader, the same errors, the same offsets.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Fn = (this: unknown, ...args: unknown[]) => unknown;
const Cluster = require('kafkajs/src/cluster') as { prototype: Record<string, Fn> };
const original = {
  findLeaderForPartitions: Cluster.prototype['findLeaderForPartitions'] as Fn,
  fetchTopicsOffset: Cluster.prototype['fetchTopicsOffset'] as Fn,
};
const { kafkajsLinearOffsets } = await import('../../../src/kafka/kafkajs-linear-offsets.ts');
const linear = {
  findLeaderForPartitions: Cluster.prototype['findLeaderForPartitions'] as Fn,
  fetchTopicsOffset: Cluster.prototype['fetchTopicsOffset'] as Fn,
};

/** A cluster-shaped object over fake metadata: 3 leaders, partitions listed out of order. */
function fakeCluster(partitions: number, leaderOf: (p: number) => number | null = (p) => (p * 7) % 3) {
  const metadata = Array.from({ length: partitions }, (_, i) => partitions - 1 - i).map((p) => ({
    partitionId: p,
    leader: leaderOf(p),
  }));
  const requests: unknown[] = [];
  const cluster = {
    isolationLevel: 1,
    findTopicPartitionMetadata: () => metadata,
    defaultOffset: ({ fromBeginning }: { fromBeginning?: boolean }) => (fromBeginning ? -2 : -1),
    findBroker: async ({ nodeId }: { nodeId: string }) => ({
      listOffsets: async (req: {
        topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
      }) => {
        requests.push({ nodeId, req });
        return {
          responses: req.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              offset: String(p.partition * 10 - p.timestamp),
            })),
          })),
        };
      },
    }),
    findLeaderForPartitions: undefined as unknown,
  };
  return { cluster, requests };
}

describe('kafkajs linear offsets', () => {
  it('is installed for the kafkajs version in use', () => {
    expect(kafkajsLinearOffsets).toBe(true);
    expect(linear.findLeaderForPartitions).not.toBe(original.findLeaderForPartitions);
  });

  it('groups partitions by leader like the original', () => {
    const { cluster } = fakeCluster(500);
    const ids = [...Array.from({ length: 500 }, (_, i) => i), 9999, '17'];
    expect(linear.findLeaderForPartitions.call(cluster, 't', ids)).toEqual(
      original.findLeaderForPartitions.call(cluster, 't', ids),
    );
  });

  it('throws the same error for a partition without a leader', () => {
    const { cluster } = fakeCluster(10, (p) => (p === 4 ? null : 1));
    expect(() => linear.findLeaderForPartitions.call(cluster, 't', [1, 4])).toThrow(
      'Invalid partition metadata',
    );
    expect(() => original.findLeaderForPartitions.call(cluster, 't', [1, 4])).toThrow(
      'Invalid partition metadata',
    );
  });

  it.each([{ fromBeginning: true }, { fromBeginning: false }, { fromTimestamp: 1_700_000_000_000 }])(
    'fetches the same offsets as the original (%o)',
    async (query) => {
      const run = async (fn: Fn) => {
        const { cluster, requests } = fakeCluster(300);
        cluster.findLeaderForPartitions = linear.findLeaderForPartitions;
        const topics = [
          { topic: 'a', partitions: Array.from({ length: 300 }, (_, i) => ({ partition: i })), ...query },
          { topic: 'b', partitions: [{ partition: 3 }, { partition: 1 }], ...query },
        ];
        const out = (await fn.call(cluster, topics)) as {
          topic: string;
          partitions: { partition: number }[];
        }[];
        const sorted = out
          .map((t) => ({ ...t, partitions: [...t.partitions].sort((x, y) => x.partition - y.partition) }))
          .sort((x, y) => x.topic.localeCompare(y.topic));
        return { sorted, brokers: requests.length };
      };
      const [a, b] = [await run(linear.fetchTopicsOffset), await run(original.fetchTopicsOffset)];
      expect(a).toEqual(b);
      expect(a.sorted[0]?.partitions).toHaveLength(300);
      expect(a.brokers).toBe(3);
    },
  );
});
