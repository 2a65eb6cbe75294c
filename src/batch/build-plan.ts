// Asks Kafka what the planner needs (topics, partitions, watermarks, offsets for a time) and turns
// the pure plan into the offsets file of the next iteration. Also resolves reset targets.

import type { Admin } from 'kafkajs';
import { Errors } from '../errors.ts';
import type { JobSpec, StartingOffsets } from '../job/job-spec.ts';
import { schemaHash } from '../job/schema.ts';
import { fetchWatermarks, offsetsForTimestamp, resolveTopics } from '../kafka/kafka-client.ts';
import { rangeId, rangeToJson, tpKey } from '../offset-range.ts';
import { type PartitionWatermarks, planRanges, splitIntoTasks } from '../plan/planner.ts';
import type { OffsetsFile, StateStore } from '../state/state-store.ts';

/** Positions for every partition from a starting policy (earliest/latest/JSON/timestamp). */
export async function resolvePositions(
  admin: Admin,
  policy: StartingOffsets,
  marks: PartitionWatermarks[],
): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (policy === 'earliest' || policy === 'latest') {
    for (const p of marks) out.set(tpKey(p), policy === 'earliest' ? p.earliest : p.latest);
    return out;
  }
  if ('timestamp' in policy && typeof policy.timestamp !== 'object') {
    const ts = typeof policy.timestamp === 'number' ? policy.timestamp : Date.parse(policy.timestamp);
    for (const topic of new Set(marks.map((m) => m.topic))) {
      for (const [partition, offset] of await offsetsForTimestamp(admin, topic, ts)) {
        out.set(tpKey({ topic, partition }), offset);
      }
    }
    return out;
  }
  const explicit = policy as Record<string, Record<string, number | string>>;
  for (const p of marks) {
    const v = explicit[p.topic]?.[String(p.partition)];
    // -2 earliest, -1 latest (Spark's convention); partitions not named start at earliest.
    const n = v === undefined ? -2n : BigInt(v);
    out.set(tpKey(p), n === -2n ? p.earliest : n === -1n ? p.latest : n);
  }
  return out;
}

export async function currentWatermarks(admin: Admin, spec: JobSpec): Promise<PartitionWatermarks[]> {
  const topics = await resolveTopics(admin, spec.topics);
  if (Array.isArray(spec.topics)) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0 && missing.length === topics.length) {
      throw Errors.config(
        `topic(s) ${missing.join(', ')} of job '${spec.name}' do not exist; create them first`,
        {
          job: spec.name,
        },
      );
    }
  }
  return fetchWatermarks(admin, topics);
}

/** Plans iteration `n`: ranges from the committed positions to the current ends, split into tasks. */
export async function buildPlan(
  admin: Admin,
  spec: JobSpec,
  store: StateStore,
  n: number,
): Promise<Omit<OffsetsFile, 'version'>> {
  const marks = await currentWatermarks(admin, spec);
  const committed = store.committedPositions();
  const starting =
    committed === undefined ? await resolvePositions(admin, spec.startingOffsets, marks) : new Map();
  const plan = planRanges({
    job: spec.name,
    partitions: marks,
    committed,
    starting,
    failOnDataLoss: spec.failOnDataLoss,
    maxOffsetsPerIteration: spec.limits.maxOffsetsPerIteration,
  });
  const tasks = splitIntoTasks(plan.ranges, spec.limits.maxRecordsPerTask, spec.limits.minTasks);
  return {
    job: spec.name,
    iteration: n,
    kind: 'run',
    plannedAt: new Date().toISOString(),
    schemaHash: schemaHash(spec.schema),
    ranges: plan.ranges.map(rangeToJson),
    tasks: tasks.map((t) => ({ id: rangeId(t), ...rangeToJson(t) })),
    skipped: plan.skipped,
  };
}

/** True when a plan would change nothing: no records, no new positions, nothing skipped. */
export function isNoop(
  plan: Omit<OffsetsFile, 'version'>,
  committed: Map<string, bigint> | undefined,
): boolean {
  if (plan.tasks.length > 0 || plan.skipped.length > 0) return false;
  if (committed === undefined) return plan.ranges.length === 0;
  return (
    plan.ranges.length === committed.size &&
    plan.ranges.every((r) => committed.get(`${r.topic}:${r.partition}`) === BigInt(r.end))
  );
}
