// Where an assigned partition resumes: the next offset stored in PostgreSQL; for a partition never
// consumed, the job's startingOffsets ('earliest', 'latest', per-partition offsets with -2/-1, or a
// timestamp) asked of Kafka once and stored at once (an existing row wins, so members starting
// together agree). A stored offset that retention has deleted since is data loss: an error under
// failOnDataLoss (the default), else a warning and the partition resumes at its earliest offset.

import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import type { JobSpec, StartingOffsets } from '../job/job-spec.ts';
import { type StoredPosition, tpKey } from './partition-state.ts';
import type { AggregateStore } from './pg-store.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export async function resumePositions(o: {
  store: AggregateStore;
  admin: Admin;
  spec: JobSpec;
  parts: TopicPartition[];
  logger: Logger;
}): Promise<Map<string, StoredPosition>> {
  const { store, admin, spec, parts } = o;
  let stored = await store.readPositions();
  const missing = parts.filter((p) => !stored.has(tpKey(p.topic, p.partition)));
  if (missing.length > 0) {
    await store.insertStartPositions(await startingPositions(admin, spec.startingOffsets, missing));
    stored = await store.readPositions();
  }
  const out = new Map<string, StoredPosition>();
  for (const topic of new Set(parts.map((p) => p.topic))) {
    const low = new Map((await admin.fetchTopicOffsets(topic)).map((m) => [m.partition, BigInt(m.low)]));
    for (const { partition } of parts.filter((p) => p.topic === topic)) {
      const key = tpKey(topic, partition);
      const pos = stored.get(key);
      if (pos === undefined) continue;
      const earliest = low.get(partition) ?? 0n;
      if (pos.nextOffset < earliest) {
        const loss = {
          job: spec.name,
          topic,
          partition,
          from: pos.nextOffset.toString(),
          to: earliest.toString(),
          reason: 'deleted by retention before the aggregator read them',
        };
        if (spec.failOnDataLoss) throw Errors.dataLoss(loss);
        o.logger.warn(loss, 'data loss: offsets no longer in Kafka are skipped');
      }
      out.set(key, pos);
    }
  }
  return out;
}

export async function startingPositions(
  admin: Admin,
  starting: StartingOffsets,
  parts: TopicPartition[],
): Promise<{ topic: string; partition: number; next: bigint }[]> {
  const out: { topic: string; partition: number; next: bigint }[] = [];
  const topics = [...new Set(parts.map((p) => p.topic))];
  for (const topic of topics) {
    const marks = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p]));
    let byTime: Map<number, bigint> | undefined;
    const at = byTimestamp(starting);
    if (at !== undefined) {
      const ts = typeof at === 'number' ? at : Date.parse(at);
      byTime = new Map(
        (await admin.fetchTopicOffsetsByTimestamp(topic, ts)).map((p) => [p.partition, BigInt(p.offset)]),
      );
    }
    for (const { partition } of parts.filter((p) => p.topic === topic)) {
      const m = marks.get(partition);
      const low = BigInt(m?.low ?? '0');
      const high = BigInt(m?.high ?? '0');
      let next = low;
      if (starting === 'latest') next = high;
      else if (byTime !== undefined) next = byTime.get(partition) ?? high;
      else if (typeof starting === 'object' && at === undefined) {
        const perTopic = (starting as Record<string, Record<string, string | number> | undefined>)[topic];
        const v = perTopic?.[String(partition)];
        if (v !== undefined) {
          const n = BigInt(v);
          next = n === -2n ? low : n === -1n ? high : n;
        }
      }
      out.push({ topic, partition, next });
    }
  }
  return out;
}

function byTimestamp(s: StartingOffsets): number | string | undefined {
  if (typeof s !== 'object') return undefined;
  const at = (s as { timestamp?: unknown }).timestamp;
  return typeof at === 'number' || typeof at === 'string' ? at : undefined;
}
