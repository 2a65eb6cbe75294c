// The default task size (limits.maxRecordsPerTask) bounds every task whatever the backlog, so a
// task's scratch memory on the columnar path does not grow with N; W1's 2M events over 8 partitions
// (up to ~254,000 a partition in bench-clicks-2000000) stay one task per partition.
import { describe, expect, it } from 'vitest';
import { limitsSchema, MAX_RECORDS_PER_TASK } from '../../../src/job/options/limits-options.ts';
import { rangeSize } from '../../../src/offset-range.ts';
import { splitIntoTasks } from '../../../src/plan/planner.ts';

const ranges = (n: number, partitions = 8) =>
  Array.from({ length: partitions }, (_, p) => ({
    topic: 't',
    partition: p,
    begin: 0n,
    end: BigInt(n / partitions),
  }));

describe('the default task size', () => {
  it('is 300,000 records when a job sets no limits', () => {
    expect(MAX_RECORDS_PER_TASK).toBe(300_000);
    expect(limitsSchema.parse(undefined).maxRecordsPerTask).toBe(300_000);
    expect(limitsSchema.parse({ workers: 2 }).maxRecordsPerTask).toBe(300_000);
    expect(limitsSchema.parse({ maxRecordsPerTask: 2_000_000 }).maxRecordsPerTask).toBe(2_000_000);
  });

  it('keeps every task at most that size as N grows, covering each range once', () => {
    const max = limitsSchema.parse(undefined).maxRecordsPerTask;
    for (const [n, tasks] of [
      [2_000_000, 8],
      [4_000_000, 16],
      // 2,000,000 a partition: 7 tasks of ~285,714.
      [16_000_000, 56],
    ] as const) {
      const plan = ranges(n);
      const cut = splitIntoTasks(plan, max);
      expect(cut, `${n}`).toHaveLength(tasks);
      expect(cut.every((t) => rangeSize(t) <= BigInt(max))).toBe(true);
      for (const r of plan) {
        const own = cut.filter((t) => t.partition === r.partition);
        expect(own[0]!.begin).toBe(r.begin);
        expect(own.at(-1)!.end).toBe(r.end);
        for (let i = 1; i < own.length; i++) expect(own[i]!.begin).toBe(own[i - 1]!.end);
      }
    }
  });
});
