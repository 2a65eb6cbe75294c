// Where an assigned partition resumes: the next offset stored in PostgreSQL; for a partition never
// consumed, the job's startingOffsets asked of Kafka once (kafka/offset-reader.ts, as batch jobs
// do) and stored at once (an existing row wins, so members starting together agree). A stored
// offset that retention has deleted since is data loss (plan/planner.ts decides it, as for batch
// jobs): an error under failOnDataLoss (the default), else a warning and the partition resumes at
// its earliest offset.

import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { fetchWatermarks } from '../kafka/kafka-client.ts';
import { startingPositions } from '../kafka/offset-reader.ts';
import { LogEvents } from '../log-events.ts';
import type { TopicPartition } from '../offset-range.ts';
import { lostBelowLogStart, type PartitionWatermarks } from '../plan/planner.ts';
import { type StoredPosition, tpKey } from './partition-state.ts';
import type { AggregateStore } from './pg-store.ts';

/** Watermarks of these partitions (a partition Kafka does not report counts as empty at 0). */
async function watermarksOf(admin: Admin, parts: TopicPartition[]): Promise<PartitionWatermarks[]> {
  const all = await fetchWatermarks(admin, [...new Set(parts.map((p) => p.topic))]);
  const byKey = new Map(all.map((m) => [tpKey(m.topic, m.partition), m]));
  return parts.map((p) => byKey.get(tpKey(p.topic, p.partition)) ?? { ...p, earliest: 0n, latest: 0n });
}

export async function resumePositions(o: {
  store: AggregateStore;
  admin: Admin;
  spec: JobSpec;
  parts: TopicPartition[];
  logger: Logger;
}): Promise<Map<string, StoredPosition>> {
  const { store, admin, spec, parts } = o;
  const marks = await watermarksOf(admin, parts);
  let stored = await store.readPositions();
  const missing = marks.filter((p) => !stored.has(tpKey(p.topic, p.partition)));
  if (missing.length > 0) {
    const starts = await startingPositions(admin, spec.startingOffsets, missing);
    await store.insertStartPositions(
      missing.map((m) => ({
        topic: m.topic,
        partition: m.partition,
        next: starts.get(tpKey(m.topic, m.partition)) ?? m.earliest,
      })),
    );
    stored = await store.readPositions();
  }
  const out = new Map<string, StoredPosition>();
  for (const m of marks) {
    const key = tpKey(m.topic, m.partition);
    const pos = stored.get(key);
    if (pos === undefined) continue;
    const lost = lostBelowLogStart(m, pos.nextOffset);
    if (lost !== undefined) {
      if (spec.failOnDataLoss) throw Errors.dataLoss({ job: spec.name, ...lost });
      o.logger.warn(
        { event: LogEvents.dataLossSkipped, ...lost },
        'data loss: offsets no longer in Kafka are skipped',
      );
    }
    out.set(key, pos);
  }
  return out;
}
