// Turns what Kafka says (kafka/offset-reader.ts: watermarks, starting positions) and the committed
// positions into the pure plan (plan/planner.ts), then into the offsets file of the next iteration.

import type { Admin } from 'kafkajs';
import type { JobSpec } from '../job/job-spec.ts';
import { schemaHash } from '../job/schema.ts';
import { jobWatermarks, startingPositions } from '../kafka/offset-reader.ts';
import { rangeId, rangeToJson } from '../offset-range.ts';
import { planRanges, splitIntoTasks } from '../plan/planner.ts';
import { checkDeadLetterTopic } from '../sinks/dead-letter-topic.ts';
import type { OffsetsFile, StateStore } from '../state/state-store.ts';

/**
 * The committed positions of the topics the job reads now. A topic its list no longer names was
 * removed from the job on purpose (a changed job is refused until `krange state --rebind`): its
 * partitions are not data loss, and their positions are dropped from the next plan.
 */
export async function jobPositions(
  spec: JobSpec,
  store: StateStore,
): Promise<Map<string, bigint> | undefined> {
  const committed = await store.committedPositions();
  const topics = spec.topics;
  if (committed === undefined || !Array.isArray(topics)) return committed;
  return new Map([...committed].filter(([key]) => topics.includes(key.slice(0, key.lastIndexOf(':')))));
}

/** Plans iteration `n`: ranges from the committed positions to the current ends, split into tasks. */
export async function buildPlan(
  admin: Admin,
  spec: JobSpec,
  store: StateStore,
  n: number,
): Promise<Omit<OffsetsFile, 'version'>> {
  const committed = await jobPositions(spec, store);
  const known = new Set([...(committed?.keys() ?? [])].map((k) => k.slice(0, k.lastIndexOf(':'))));
  const marks = await jobWatermarks(admin, spec, known);
  await checkDeadLetterTopic(admin, spec);
  const starting =
    committed === undefined ? await startingPositions(admin, spec.startingOffsets, marks) : new Map();
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
