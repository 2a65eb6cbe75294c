// Small statistics for repeated measurements.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export const MiB = 1024 * 1024;

/** The run whose `key` is the median (the lower middle one for an even count). */
export function medianRun<T>(runs: T[], key: (t: T) => number): T {
  if (runs.length === 0) throw new Error('no runs');
  const s = [...runs].sort((a, b) => key(a) - key(b));
  return s[(s.length - 1) >> 1]!;
}
