import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { capRanges, planRanges, splitIntoTasks } from '../../../src/plan/planner.ts';

const wm = (partition: number, earliest: number, latest: number, topic = 't') => ({
  topic,
  partition,
  earliest: BigInt(earliest),
  latest: BigInt(latest),
});
const base = { job: 'j', starting: new Map<string, bigint>(), failOnDataLoss: true };

describe('planRanges', () => {
  it('begins at the starting positions on the first iteration and ends at the high watermark', () => {
    const plan = planRanges({
      ...base,
      partitions: [wm(1, 0, 50), wm(0, 5, 100)],
      committed: undefined,
      starting: new Map([['t:0', 10n]]),
    });
    expect(plan.ranges).toEqual([
      { topic: 't', partition: 0, begin: 10n, end: 100n },
      { topic: 't', partition: 1, begin: 0n, end: 50n },
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('begins where the last commit ended, and reads a new partition from earliest', () => {
    const plan = planRanges({
      ...base,
      partitions: [wm(0, 0, 100), wm(1, 3, 9)],
      committed: new Map([['t:0', 60n]]),
    });
    expect(plan.ranges).toEqual([
      { topic: 't', partition: 0, begin: 60n, end: 100n },
      { topic: 't', partition: 1, begin: 3n, end: 9n },
    ]);
  });

  it('fails on data loss by default, naming topic, partition and the lost range', () => {
    try {
      planRanges({ ...base, partitions: [wm(0, 80, 100)], committed: new Map([['t:0', 50n]]) });
      expect.unreachable();
    } catch (err) {
      expect(isKrangeError(err, 'KRANGE_DATA_LOSS')).toBe(true);
      expect((err as Error).message).toContain('t[0]: offsets [50, 80)');
    }
  });

  it('skips and records lost ranges when failOnDataLoss is false', () => {
    const plan = planRanges({
      ...base,
      failOnDataLoss: false,
      partitions: [wm(0, 80, 100), wm(1, 0, 5)],
      committed: new Map([
        ['t:0', 50n],
        ['t:1', 20n],
        ['t:2', 7n],
      ]),
    });
    expect(plan.ranges).toEqual([
      { topic: 't', partition: 0, begin: 80n, end: 100n },
      { topic: 't', partition: 1, begin: 5n, end: 5n },
    ]);
    expect(plan.skipped).toEqual([
      { topic: 't', partition: 2, from: '7', to: 'unknown', reason: 'partition-gone' },
      { topic: 't', partition: 0, from: '50', to: '80', reason: 'offset-out-of-range' },
      { topic: 't', partition: 1, from: '5', to: '20', reason: 'offset-went-backwards' },
    ]);
  });
});

describe('capRanges (maxOffsetsPerIteration)', () => {
  it('shares the cap in proportion to backlog, at least one offset per backlogged partition', () => {
    const r = capRanges(
      [
        { topic: 't', partition: 0, begin: 0n, end: 900n },
        { topic: 't', partition: 1, begin: 0n, end: 100n },
        { topic: 't', partition: 2, begin: 0n, end: 1n },
        { topic: 't', partition: 3, begin: 5n, end: 5n },
      ],
      100,
    );
    expect(r.map((x) => x.end)).toEqual([89n, 9n, 1n, 5n]);
  });

  it('leaves ranges under the cap alone', () => {
    const ranges = [{ topic: 't', partition: 0, begin: 0n, end: 10n }];
    expect(capRanges(ranges, 100)).toBe(ranges);
  });
});

describe('splitIntoTasks (KafkaOffsetRangeCalculator)', () => {
  it('cuts ranges above maxRecordsPerTask into equal contiguous parts and drops empty ranges', () => {
    const tasks = splitIntoTasks(
      [
        { topic: 't', partition: 0, begin: 0n, end: 250n },
        { topic: 't', partition: 1, begin: 7n, end: 7n },
      ],
      100,
    );
    expect(tasks.map((t) => [t.begin, t.end])).toEqual([
      [0n, 83n],
      [83n, 166n],
      [166n, 250n],
    ]);
  });

  it('splits large ranges in proportion to reach minTasks', () => {
    const tasks = splitIntoTasks(
      [
        { topic: 't', partition: 0, begin: 0n, end: 300n },
        { topic: 't', partition: 1, begin: 0n, end: 100n },
      ],
      1000,
      4,
    );
    expect(tasks).toHaveLength(4);
    expect(tasks.filter((t) => t.partition === 0)).toHaveLength(3);
    const covered = tasks.filter((t) => t.partition === 0).reduce((s, t) => s + (t.end - t.begin), 0n);
    expect(covered).toBe(300n);
  });

  it('is deterministic', () => {
    const ranges = [{ topic: 't', partition: 0, begin: 12345n, end: 9876543n }];
    expect(splitIntoTasks(ranges, 100000, 3)).toEqual(splitIntoTasks(ranges, 100000, 3));
  });
});
