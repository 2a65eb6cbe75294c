// The offset ranges of one source partition that an exactly-once sink has already written (its
// markers: rows in PostgreSQL, consumer-group commits in Kafka). A task drops the rows of records
// inside them, so a replay writes nothing twice whatever its task boundaries: the same task after
// a crash, or a differently split range after `krange reset`.

export interface Range {
  begin: bigint;
  end: bigint;
}

export class CoveredRanges {
  /** Merged, sorted, non-overlapping. */
  readonly ranges: readonly Range[];

  constructor(ranges: Iterable<Range>) {
    const sorted = [...ranges].filter((r) => r.end > r.begin).sort((a, b) => (a.begin < b.begin ? -1 : 1));
    const merged: Range[] = [];
    for (const r of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && r.begin <= last.end) {
        if (r.end > last.end) last.end = r.end;
      } else merged.push({ begin: r.begin, end: r.end });
    }
    this.ranges = merged;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** True when the offset lies in a covered range. */
  covers(offset: bigint): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (offset < r.begin) hi = mid - 1;
      else if (offset >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** True when every offset of [begin, end) is covered. */
  coversAll(begin: bigint, end: bigint): boolean {
    if (end <= begin) return true;
    return this.ranges.some((r) => r.begin <= begin && r.end >= end);
  }

  /** A stable text form, to notice a change between two reads. */
  toString(): string {
    return this.ranges.map((r) => `[${r.begin},${r.end})`).join('');
  }
}
