// The one place batch jobs and the aggregator ask Kafka where partitions stand: which topics a job
// reads, each partition's earliest and latest offsets, and where a starting policy (earliest,
// latest, per-partition offsets with -2/-1, a timestamp) puts each partition. What the answers mean
// (data loss, ranges) is decided by the pure functions of plan/planner.ts.

import type { Admin } from 'kafkajs';
import { Errors } from '../errors.ts';
import type { JobSpec, StartingOffsets } from '../job/job-spec.ts';
import { tpKey } from '../offset-range.ts';
import type { PartitionWatermarks } from '../plan/planner.ts';
import { fetchWatermarks, offsetsForTimestamp, resolveTopics } from './kafka-client.ts';

/** A starting policy, read once: which of the four forms it is. */
export type StartingPolicy =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'timestamp'; ms: number }
  | { kind: 'offsets'; offsets: Record<string, Record<string, number | string>> };

/**
 * Tells the forms of a validated startingOffsets apart. `{ timestamp: <number | ISO string> }` is
 * a time; an object of objects names offsets per topic (a topic may be called `timestamp`).
 */
export function startingPolicy(policy: StartingOffsets): StartingPolicy {
  if (policy === 'earliest' || policy === 'latest') return { kind: policy };
  const at = (policy as { timestamp?: unknown }).timestamp;
  if (typeof at === 'number') return { kind: 'timestamp', ms: at };
  if (typeof at === 'string') return { kind: 'timestamp', ms: Date.parse(at) };
  return { kind: 'offsets', offsets: policy as Record<string, Record<string, number | string>> };
}

/**
 * Earliest and latest offsets of the job's partitions. A listed topic that does not exist is a
 * config error naming it, unless the job has read it before (`known`, the topics of its committed
 * positions): then it was deleted, which the planner reports as data loss.
 */
export async function jobWatermarks(
  admin: Admin,
  spec: JobSpec,
  known: ReadonlySet<string> = new Set(),
): Promise<PartitionWatermarks[]> {
  const topics = await resolveTopics(admin, spec.topics);
  if (Array.isArray(spec.topics)) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    const never = missing.filter((t) => !known.has(t));
    if (never.length > 0 || (missing.length > 0 && missing.length === topics.length)) {
      const names = (never.length > 0 ? never : missing).map((t) => `'${t}'`).join(', ');
      const others = topics.filter((t) => existing.has(t));
      throw Errors.config(
        `topic ${names} of job '${spec.name}' does not exist` +
          (others.length > 0 ? ` (its other topics do: ${others.join(', ')})` : '') +
          "; create it (kafka-topics --create --topic <name>) or remove it from the job's topics",
        { job: spec.name, topics: (never.length > 0 ? never : missing).join(',') },
      );
    }
  }
  return fetchWatermarks(admin, topics);
}

/**
 * Where the policy puts every partition of `marks`, by tpKey. Per-partition offsets: -2 is
 * earliest, -1 latest (Spark's convention), and a partition not named starts at earliest. A time:
 * the first offset whose timestamp is at or after it (the end of the log when none is).
 */
export async function startingPositions(
  admin: Admin,
  policy: StartingOffsets,
  marks: PartitionWatermarks[],
): Promise<Map<string, bigint>> {
  const start = startingPolicy(policy);
  const out = new Map<string, bigint>();
  if (start.kind === 'timestamp') {
    for (const topic of new Set(marks.map((m) => m.topic))) {
      const byTime = await offsetsForTimestamp(admin, topic, start.ms);
      for (const m of marks.filter((x) => x.topic === topic)) {
        out.set(tpKey(m), byTime.get(m.partition) ?? m.latest);
      }
    }
    return out;
  }
  for (const m of marks) {
    if (start.kind !== 'offsets') {
      out.set(tpKey(m), start.kind === 'earliest' ? m.earliest : m.latest);
      continue;
    }
    const v = start.offsets[m.topic]?.[String(m.partition)];
    const n = v === undefined ? -2n : BigInt(v);
    out.set(tpKey(m), n === -2n ? m.earliest : n === -1n ? m.latest : n);
  }
  return out;
}
