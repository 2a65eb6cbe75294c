// kafkajs 2.2.4 (its last release; the project is no longer maintained) groups partitions by leader
// in quadratic time: `Cluster.findLeaderForPartitions` copies the growing result object and array
// for every partition and searches the metadata with `find`, and `fetchTopicsOffset` filters every
// partition with `includes`. With 5,000 partitions that is about 0.3 s of CPU per offsets lookup
// (bench/plan-scale.ts, profiled), twice per plan (earliest and latest). This module replaces the
// two methods on kafkajs's Cluster prototype, used by every admin, consumer and producer of the
// process, with linear versions of the same behaviour: same results, same errors, same order.
// Imported for its effect by kafka-client.ts; a kafkajs other than 2.2.x is left untouched.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface PartitionMetadata {
  partitionId: number;
  leader: number | null | undefined;
}

interface TopicOffsetsQuery {
  topic: string;
  partitions: { partition: number }[];
  fromBeginning?: boolean;
  fromTimestamp?: number | string | null;
}

interface ListOffsetsBroker {
  listOffsets(req: {
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number | string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

interface ClusterPrototype {
  isolationLevel: number;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  defaultOffset(q: { fromBeginning?: boolean }): number | string;
  findBroker(q: { nodeId: string }): Promise<ListOffsetsBroker>;
  findLeaderForPartitions(topic: string, partitions: (number | string)[]): Record<string, number[]>;
  fetchTopicsOffset(
    topics: TopicOffsetsQuery[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

const { version } = require('kafkajs/package.json') as { version: string };
const Cluster = require('kafkajs/src/cluster') as { prototype: ClusterPrototype };
const { KafkaJSError } = require('kafkajs/src/errors') as {
  KafkaJSError: new (message: string, props: Record<string, unknown>) => Error;
};

function findLeaderForPartitions(
  this: ClusterPrototype,
  topic: string,
  partitions: (number | string)[],
): Record<string, number[]> {
  const byId = new Map<number, PartitionMetadata>();
  for (const p of this.findTopicPartitionMetadata(topic))
    if (!byId.has(p.partitionId)) byId.set(p.partitionId, p);
  const result: Record<string, number[]> = {};
  for (const id of partitions) {
    const partitionId = Number.parseInt(String(id), 10);
    const metadata = byId.get(partitionId);
    if (metadata === undefined) continue;
    if (metadata.leader === null || metadata.leader === undefined) {
      throw new KafkaJSError('Invalid partition metadata', { topic, partitionId, metadata });
    }
    const ids = result[metadata.leader];
    if (ids === undefined) result[metadata.leader] = [partitionId];
    else ids.push(partitionId);
  }
  return result;
}

async function fetchTopicsOffset(
  this: ClusterPrototype,
  topics: TopicOffsetsQuery[],
): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]> {
  const perBroker = new Map<string, Map<string, { partition: number; timestamp: number | string }[]>>();
  for (const { topic, partitions, fromBeginning, fromTimestamp } of topics) {
    const perLeader = this.findLeaderForPartitions(
      topic,
      partitions.map((p) => p.partition),
    );
    const timestamp = fromTimestamp ?? this.defaultOffset({ fromBeginning });
    for (const [nodeId, ids] of Object.entries(perLeader)) {
      const wanted = new Set(ids);
      const forTopic = partitions.filter((p) => wanted.has(p.partition)).map((p) => ({ ...p, timestamp }));
      const byTopic = perBroker.get(nodeId) ?? new Map();
      byTopic.set(topic, forTopic);
      perBroker.set(nodeId, byTopic);
    }
  }
  const responses = await Promise.all(
    [...perBroker].map(async ([nodeId, byTopic]) => {
      const broker = await this.findBroker({ nodeId });
      const { responses } = await broker.listOffsets({
        isolationLevel: this.isolationLevel,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
      return responses;
    }),
  );
  const perTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partitions } of responses.flat()) {
    const list = perTopic.get(topic) ?? [];
    for (const { partition, offset } of partitions) list.push({ partition, offset });
    perTopic.set(topic, list);
  }
  return [...perTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Whether the linear versions are installed (kafkajs 2.2.x only). */
export const kafkajsLinearOffsets = /^2\.2\./.test(version);
if (kafkajsLinearOffsets) {
  Cluster.prototype.findLeaderForPartitions = findLeaderForPartitions;
  Cluster.prototype.fetchTopicsOffset = fetchTopicsOffset;
}
