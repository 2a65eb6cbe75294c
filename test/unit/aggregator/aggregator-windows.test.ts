import { describe, expect, it } from 'vitest';
import {
  checkWindowSpec,
  isLate,
  lastWindowStart,
  watermark,
  windowStarts,
} from '../../../src/job/aggregate/windows.ts';

describe('window math', () => {
  it('puts an event in exactly one tumbling window, aligned to the epoch', () => {
    const w = { size: 60_000, slide: 60_000 };
    expect(windowStarts(0, w)).toEqual([0]);
    expect(windowStarts(59_999, w)).toEqual([0]);
    expect(windowStarts(60_000, w)).toEqual([60_000]);
    expect(windowStarts(1_700_000_123_456, w)).toEqual([1_700_000_100_000]);
  });

  it('puts an event in size/slide hopping windows, latest first, each containing it', () => {
    const w = { size: 60_000, slide: 20_000 };
    expect(windowStarts(45_000, w)).toEqual([40_000, 20_000, 0]);
    // On a boundary the window starting there counts; the one ending there does not.
    expect(windowStarts(60_000, w)).toEqual([60_000, 40_000, 20_000]);
    for (let t = -100_000; t < 100_000; t += 777) {
      const starts = windowStarts(t, w);
      expect(starts).toHaveLength(3);
      for (const s of starts) {
        expect(s % 20_000 === 0).toBe(true);
        expect(s <= t && t < s + 60_000).toBe(true);
      }
    }
  });

  it('handles a slide that does not divide the size and times before the epoch', () => {
    const w = { size: 50, slide: 20 };
    for (let t = -200; t < 200; t++) {
      const starts = windowStarts(t, w);
      const brute: number[] = [];
      for (let s = -400; s <= 400; s += 20) if (s <= t && t < s + 50) brute.push(s);
      expect(starts.sort((a, b) => a - b)).toEqual(brute);
    }
    expect(lastWindowStart(-1, 20)).toBe(-20);
  });

  it('rejects window specs that are not positive or slide past their size', () => {
    expect(checkWindowSpec({ size: 60_000, slide: 60_000 })).toBeUndefined();
    expect(checkWindowSpec({ size: 0, slide: 1 })).toMatch(/size/);
    expect(checkWindowSpec({ size: 10, slide: 0 })).toMatch(/slide/);
    expect(checkWindowSpec({ size: 10, slide: 20 })).toMatch(/must not exceed/);
    expect(checkWindowSpec({ size: 1.5, slide: 1 })).toMatch(/size/);
  });

  it('calls an event late only when older than max event time minus the allowed lateness', () => {
    expect(watermark(null, 1000)).toBe(Number.NEGATIVE_INFINITY);
    expect(isLate(0, null, 1000)).toBe(false);
    expect(isLate(9000, 10_000, 1000)).toBe(false);
    expect(isLate(8999, 10_000, 1000)).toBe(true);
    expect(isLate(20_000, 10_000, 0)).toBe(false);
  });
});
