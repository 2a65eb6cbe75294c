// Window math for the streaming aggregator, pure: which windows an event time falls into, and
// whether an event is late. Windows are aligned to the Unix epoch, like Spark's window(): a window
// is [start, start + size) with start a multiple of slide (tumbling when slide = size).

export interface WindowSpec {
  /** Window length, ms. */
  size: number;
  /** Distance between window starts, ms; equal to size for tumbling windows, smaller for hopping. */
  slide: number;
}

/** Checks a window spec: positive integers, slide no longer than size (else events could fall between windows). */
export function checkWindowSpec(w: WindowSpec): string | undefined {
  if (!Number.isSafeInteger(w.size) || w.size <= 0)
    return `window size must be a positive number of ms, got ${w.size}`;
  if (!Number.isSafeInteger(w.slide) || w.slide <= 0)
    return `window slide must be a positive number of ms, got ${w.slide}`;
  if (w.slide > w.size) return `window slide (${w.slide} ms) must not exceed its size (${w.size} ms)`;
  return undefined;
}

/** The latest window start at or before t. */
export function lastWindowStart(t: number, slide: number): number {
  return Math.floor(t / slide) * slide;
}

/**
 * Starts of every window containing event time t (ms), latest first: ceil(size/slide) windows when
 * slide divides size, else floor or ceil of it depending on t.
 */
export function windowStarts(t: number, w: WindowSpec): number[] {
  const out: number[] = [];
  for (let s = lastWindowStart(t, w.slide); s > t - w.size; s -= w.slide) out.push(s);
  return out;
}

/** The watermark of a partition: its highest event time so far minus the allowed lateness. */
export function watermark(maxEventTime: number | null, allowedLateness: number): number {
  return maxEventTime === null ? Number.NEGATIVE_INFINITY : maxEventTime - allowedLateness;
}

/**
 * An event is late when it is older than the watermark. A window is closed once its end is at or
 * before the watermark; every window holding a non-late event ends after the event, so accepting
 * only non-late events never changes a closed window. (An event just behind the watermark may also
 * belong to windows still open: one rule per event, not per window, keeps lateness easy to explain.)
 */
export function isLate(t: number, maxEventTime: number | null, allowedLateness: number): boolean {
  return t < watermark(maxEventTime, allowedLateness);
}
