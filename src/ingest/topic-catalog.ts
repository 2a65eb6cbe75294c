// What the gateway knows about the cluster: its id (for the v3 routes) and each topic's partitions,
// cached briefly so a produce request does not cost a metadata round trip. Unknown topics are
// answered 404 (the gateway never auto-creates a topic).

import type { Admin, PartitionMetadata } from 'kafkajs';

const TTL_MS = 30_000;
const MISS_TTL_MS = 1000;

export class TopicCatalog {
  private readonly cache = new Map<string, { partitions: PartitionMetadata[] | undefined; at: number }>();
  private clusterIdValue: string | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly configuredClusterId?: string,
  ) {}

  async clusterId(): Promise<string> {
    if (this.configuredClusterId !== undefined) return this.configuredClusterId;
    this.clusterIdValue ??= (await this.admin.describeCluster()).clusterId;
    return this.clusterIdValue;
  }

  /** The topic's partitions, or undefined when the cluster does not have it. */
  async partitions(topic: string): Promise<PartitionMetadata[] | undefined> {
    const now = Date.now();
    const hit = this.cache.get(topic);
    if (hit !== undefined && now - hit.at < (hit.partitions === undefined ? MISS_TTL_MS : TTL_MS))
      return hit.partitions;
    let partitions: PartitionMetadata[] | undefined;
    try {
      const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics[0]?.partitions ?? [];
      partitions = parts.length > 0 ? [...parts].sort((a, b) => a.partitionId - b.partitionId) : undefined;
    } catch (err) {
      if (!isUnknownTopic(err)) throw err;
      partitions = undefined;
    }
    this.cache.set(topic, { partitions, at: now });
    return partitions;
  }
}

function isUnknownTopic(err: unknown): boolean {
  const type = (err as { type?: unknown }).type;
  return (
    type === 'UNKNOWN_TOPIC_OR_PARTITION' || (err as Error).message?.includes('does not host this topic')
  );
}
