// The range bookkeeping of the exactly-once sinks: merged covered ranges, and the Kafka marker
// group names that carry a range.
import { describe, expect, it } from 'vitest';
import { CoveredRanges } from '../../../src/sinks/covered-ranges.ts';
import { markerGroup, markerGroupPrefix, parseMarkerGroup } from '../../../src/sinks/kafka/kafka-messages.ts';

describe('covered ranges', () => {
  const c = new CoveredRanges([
    { begin: 100n, end: 200n },
    { begin: 0n, end: 50n },
    { begin: 150n, end: 260n },
    { begin: 50n, end: 60n },
  ]);
  it('merges overlapping and touching ranges', () => {
    expect(c.toString()).toBe('[0,60)[100,260)');
  });
  it('covers offsets inside, not at the end or in gaps', () => {
    expect([0n, 59n, 60n, 99n, 100n, 259n, 260n].map((o) => c.covers(o))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });
  it('tells whether a whole range is covered', () => {
    expect(c.coversAll(100n, 260n)).toBe(true);
    expect(c.coversAll(40n, 120n)).toBe(false);
    expect(new CoveredRanges([]).coversAll(5n, 6n)).toBe(false);
    expect(new CoveredRanges([]).isEmpty).toBe(true);
  });
});

describe('kafka marker groups', () => {
  it('round-trip the range and ignore other groups', () => {
    const prefix = markerGroupPrefix('job.a', 'out', 'in.topic', 3);
    const g = markerGroup('job.a', 'out', 'in.topic', 3, 9007199254740993n, 9007199254740999n);
    expect(parseMarkerGroup(prefix, g)).toEqual({ begin: 9007199254740993n, end: 9007199254740999n });
    expect(parseMarkerGroup(prefix, markerGroup('job.a', 'out', 'in.topic', 13, 0n, 5n))).toBeUndefined();
    expect(parseMarkerGroup(prefix, `${prefix}x-1`)).toBeUndefined();
  });
});
