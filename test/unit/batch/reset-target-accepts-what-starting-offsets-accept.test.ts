// `reset --to | --to-datetime` (and the console's reset) is checked by the job's own
// startingOffsetsSchema: a reset accepts exactly the forms a job's `startingOffsets` accepts.
import { describe, expect, it } from 'vitest';
import { parseResetTarget } from '../../../src/batch/reset-job.ts';
import { startingOffsetsSchema } from '../../../src/job/job-spec.ts';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string; message: string }).code === 'KRANGE_USAGE'
      ? (err as Error).message
      : 'other';
  }
  return 'accepted';
};

describe('parseResetTarget', () => {
  it('takes earliest, latest, per-partition offsets and a zoned date-time', () => {
    expect(parseResetTarget('earliest', undefined)).toBe('earliest');
    expect(parseResetTarget('latest', undefined)).toBe('latest');
    expect(parseResetTarget('{"t":{"0":23,"1":-2}}', undefined)).toEqual({ t: { '0': 23, '1': -2 } });
    expect(parseResetTarget(undefined, '2026-01-31T08:00:00Z')).toEqual({
      timestamp: '2026-01-31T08:00:00Z',
    });
    expect(parseResetTarget(undefined, '2026-01-31T08:00:00+02:00')).toEqual({
      timestamp: '2026-01-31T08:00:00+02:00',
    });
  });

  it('refuses what a job file would refuse, with a usage error', () => {
    for (const [to, toDatetime] of [
      [undefined, '2026-01-31'], // no time, no zone: not a startingOffsets timestamp
      [undefined, '2026-01-31T08:00:00'], // no zone: local time would depend on the machine
      [undefined, 'yesterday'],
      ['{"t":{"zero":1}}', undefined],
      ['{"t":{"0":-3}}', undefined],
      ['not json', undefined],
      [undefined, undefined],
      ['earliest', '2026-01-31T08:00:00Z'],
    ] as const) {
      expect(
        usage(() => parseResetTarget(to, toDatetime)),
        `${to} ${toDatetime}`,
      ).not.toMatch(/^(accepted|other)$/);
    }
  });

  it('agrees with startingOffsetsSchema on every date-time', () => {
    for (const t of [
      '2026-01-31T08:00:00Z',
      '2026-01-31T08:00:00.123Z',
      '2026-01-31',
      '2026-01-31T08:00',
      'x',
    ]) {
      const job = startingOffsetsSchema.safeParse({ timestamp: t }).success;
      expect(usage(() => parseResetTarget(undefined, t)) === 'accepted', t).toBe(job);
    }
  });
});
