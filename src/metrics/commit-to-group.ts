// `monitoring.commitToGroup`: after each commit the job's committed positions are also committed to
// a Kafka consumer group, only so that lag tools which read consumer groups (kafka-consumer-groups,
// Burrow, kafka-lag-exporter) see krange. Never read back: the state files stay the truth, so a
// failure here is logged and the iteration stays committed.

import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { OffsetRangeJson } from '../offset-range.ts';

/** Commits each range's end as the group's offset of its partition (admin OffsetCommit). */
export async function commitToGroup(
  admin: Admin,
  groupId: string,
  ranges: readonly OffsetRangeJson[],
  logger: Logger,
): Promise<void> {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const r of ranges) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ partition: r.partition, offset: r.end });
    byTopic.set(r.topic, list);
  }
  for (const [topic, partitions] of byTopic) {
    try {
      await admin.setOffsets({ groupId, topic, partitions });
    } catch (err) {
      logger.warn(
        { group: groupId, topic, err: (err as Error).message },
        `cannot commit positions to consumer group '${groupId}' (lag tools will show stale offsets); the iteration is committed`,
      );
    }
  }
}
