// Offset ranges: [begin, end) of one topic-partition, offsets meaning "next offset to read".
// Offsets are int64: bigint in memory, decimal strings on disk and across threads.

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface OffsetRange extends TopicPartition {
  begin: bigint;
  end: bigint;
}

/** The on-disk / on-the-wire form of a range. */
export interface OffsetRangeJson extends TopicPartition {
  begin: string;
  end: string;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

export function rangeSize(r: OffsetRange): bigint {
  return r.end > r.begin ? r.end - r.begin : 0n;
}

export function rangeToJson(r: OffsetRange): OffsetRangeJson {
  return { topic: r.topic, partition: r.partition, begin: r.begin.toString(), end: r.end.toString() };
}

export function rangeFromJson(r: OffsetRangeJson): OffsetRange {
  return { topic: r.topic, partition: r.partition, begin: BigInt(r.begin), end: BigInt(r.end) };
}

/** Zero-padded to 20 digits (the width of int64), so file names sort by offset. */
export function padOffset(o: bigint): string {
  return o.toString().padStart(20, '0');
}

/** A deterministic task id: the same range always has the same id. */
export function rangeId(r: OffsetRange): string {
  return `${r.topic}-${r.partition}-${padOffset(r.begin)}-${padOffset(r.end)}`;
}

export function compareTp(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
