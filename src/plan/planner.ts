// Planning an iteration, as pure functions: where each partition begins (last commit, starting
// policy, earliest for new partitions), where it ends (high watermark at plan time), data-loss
// detection, the maxOffsetsPerIteration cap (Spark's maxOffsetsPerTrigger) and task splitting
// (Spark's KafkaOffsetRangeCalculator). Kafka is queried by the caller; nothing here does I/O.

import { Errors } from '../errors.ts';
import { compareTp, type OffsetRange, rangeSize, type TopicPartition, tpKey } from '../offset-range.ts';

/** What Kafka says about a partition at plan time. */
export interface PartitionWatermarks extends TopicPartition {
  /** Earliest retained offset (log start). */
  earliest: bigint;
  /** High watermark (or last stable offset): the end of the readable log. */
  latest: bigint;
}

export interface SkippedRange extends TopicPartition {
  from: string;
  /** Exclusive end, or 'unknown' when the partition is gone. */
  to: string;
  reason: 'offset-out-of-range' | 'partition-gone' | 'offset-went-backwards';
}

export interface PlanInput {
  job: string;
  partitions: PartitionWatermarks[];
  /** End positions of the last committed iteration; undefined on the first iteration. */
  committed: Map<string, bigint> | undefined;
  /** Starting positions from the job's startingOffsets, already resolved against Kafka. */
  starting: Map<string, bigint>;
  failOnDataLoss: boolean;
  maxOffsetsPerIteration?: number | undefined;
}

export interface Plan {
  /** One range per partition (possibly empty: begin == end), sorted by topic, partition. */
  ranges: OffsetRange[];
  skipped: SkippedRange[];
}

export function planRanges(input: PlanInput): Plan {
  const skipped: SkippedRange[] = [];
  const ranges: OffsetRange[] = [];
  const current = new Set(input.partitions.map(tpKey));

  const loss = (s: SkippedRange): void => {
    if (input.failOnDataLoss) {
      throw Errors.dataLoss({
        job: input.job,
        topic: s.topic,
        partition: s.partition,
        from: s.from,
        to: s.to,
        reason: s.reason,
      });
    }
    skipped.push(s);
  };

  if (input.committed !== undefined) {
    for (const key of [...input.committed.keys()].sort()) {
      if (current.has(key)) continue;
      const idx = key.lastIndexOf(':');
      loss({
        topic: key.slice(0, idx),
        partition: Number(key.slice(idx + 1)),
        from: String(input.committed.get(key)),
        to: 'unknown',
        reason: 'partition-gone',
      });
    }
  }

  for (const p of [...input.partitions].sort(compareTp)) {
    const key = tpKey(p);
    // A partition the last commit does not know is new: it starts at earliest, so nothing is missed.
    let begin =
      input.committed === undefined
        ? (input.starting.get(key) ?? p.earliest)
        : (input.committed.get(key) ?? p.earliest);
    const end = p.latest;
    const deleted = lostBelowLogStart(p, begin);
    if (deleted !== undefined) {
      loss(deleted);
      begin = p.earliest;
    }
    if (end < begin) {
      // The log was truncated or recreated below our position: what we had is gone, and we
      // continue from the new end (Spark's rule), recording the jump.
      loss({ ...tp(p), from: end.toString(), to: begin.toString(), reason: 'offset-went-backwards' });
      begin = end;
    }
    ranges.push({ ...tp(p), begin, end });
  }

  return { ranges: capRanges(ranges, input.maxOffsetsPerIteration), skipped };
}

/**
 * The offsets retention deleted below `position` (data loss), or undefined when the log still holds
 * it. Batch planning and the aggregator's resume both decide with this.
 */
export function lostBelowLogStart(p: PartitionWatermarks, position: bigint): SkippedRange | undefined {
  if (position >= p.earliest) return undefined;
  return { ...tp(p), from: position.toString(), to: p.earliest.toString(), reason: 'offset-out-of-range' };
}

function tp(p: TopicPartition): TopicPartition {
  return { topic: p.topic, partition: p.partition };
}

/**
 * Caps the total offsets of an iteration, sharing the cap in proportion to each partition's
 * backlog (Spark's rateLimit): a partition with backlog gets at least one offset.
 */
export function capRanges(ranges: OffsetRange[], maxOffsets: number | undefined): OffsetRange[] {
  if (maxOffsets === undefined) return ranges;
  const total = ranges.reduce((s, r) => s + rangeSize(r), 0n);
  const limit = BigInt(maxOffsets);
  if (total <= limit) return ranges;
  return ranges.map((r) => {
    const size = rangeSize(r);
    if (size === 0n) return r;
    // prorate = limit * size / total, rounded up below 1 and down above it.
    let take = (limit * size) / total;
    if (take < 1n) take = 1n;
    return { ...r, end: r.begin + (take > size ? size : take) };
  });
}

/**
 * Splits ranges into tasks (Spark's KafkaOffsetRangeCalculator): ranges above maxRecordsPerTask
 * are cut into equal parts; then, while there are fewer than minTasks tasks, large ranges are cut
 * in proportion to their size. Empty ranges produce no task. Deterministic for a given plan.
 */
export function splitIntoTasks(
  ranges: OffsetRange[],
  maxRecordsPerTask: number,
  minTasks?: number,
): OffsetRange[] {
  const max = BigInt(maxRecordsPerTask);
  let tasks = ranges
    .filter((r) => rangeSize(r) > 0n)
    .flatMap((r) => {
      const size = rangeSize(r);
      const parts = (size + max - 1n) / max;
      return divide(r, parts);
    });
  if (minTasks !== undefined && tasks.length > 0 && tasks.length < minTasks) {
    const total = tasks.reduce((s, r) => s + rangeSize(r), 0n);
    const want = BigInt(minTasks);
    tasks = tasks.flatMap((r) => {
      const parts = (rangeSize(r) * want) / total;
      return parts > 1n ? divide(r, parts) : [r];
    });
  }
  return tasks;
}

function divide(r: OffsetRange, parts: bigint): OffsetRange[] {
  const size = rangeSize(r);
  if (parts <= 1n) return [r];
  const n = parts > size ? size : parts;
  const out: OffsetRange[] = [];
  for (let i = 0n; i < n; i++) {
    const b = r.begin + (size * i) / n;
    const e = r.begin + (size * (i + 1n)) / n;
    out.push({ topic: r.topic, partition: r.partition, begin: b, end: e });
  }
  return out;
}
