// What one owned partition holds in memory, pure: the window deltas of the records in
// [flushed, position) that PostgreSQL has not seen yet, the partition's watermark, and its counters.
// A flush takes a snapshot (the state keeps filling meanwhile); a failed flush merges it back.

import {
  type AggregatePlan,
  eventTimeOf,
  groupValue,
  type TimedValues,
} from '../job/aggregate/aggregate-plan.ts';
import { type Acc, addValue, cloneAcc, initAcc, mergeAcc } from '../job/aggregate/measures.ts';
import { isLate, lastWindowStart, watermark } from '../job/aggregate/windows.ts';
import type { BadRecord } from '../records/record.ts';
import type { SinkRow } from '../sinks/sink.ts';

/** The not-yet-stored change to one row of the window table. */
export interface WindowDelta {
  /** Window start, ms since the epoch. */
  start: number;
  groups: string[];
  accs: Acc[];
}

/** A row older than its partition's watermark, kept for the dead-letter topic. */
export interface LateRow {
  topic: string;
  partition: number;
  offset: string;
  seq: number;
  eventTime: number;
  watermark: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface PartitionCounts {
  /** Kafka records consumed. */
  records: number;
  /** Rows merged into windows. */
  rows: number;
  /** Rows older than the watermark (not merged). */
  late: number;
  /** Records rejected by decode, transform, schema or event time. */
  bad: number;
}

export interface PartitionSnapshot {
  topic: string;
  partition: number;
  /** The next_offset PostgreSQL must still hold for this flush to apply (compare-and-set). */
  expected: bigint;
  /** The next_offset the flush stores: every record before it is in `deltas`, or in PostgreSQL already. */
  next: bigint;
  maxEventTime: number | null;
  deltas: Map<string, WindowDelta>;
  counts: PartitionCounts;
  late: LateRow[];
  bad: BadRecord[];
}

export interface StoredPosition {
  nextOffset: bigint;
  maxEventTime: number | null;
}

/** Map key of a topic-partition (Kafka topic names cannot contain ':'). */
export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

const NO_VALUES: readonly unknown[] = [];

const zero = (): PartitionCounts => ({ records: 0, rows: 0, late: 0, bad: 0 });

export function deltaKey(start: number, groups: readonly string[]): string {
  return groups.length === 1 ? `${start}\u0000${groups[0]}` : `${start}\u0000${groups.join('\u0000')}`;
}

/** Merges every delta of `from` into `into`; `from` is left unchanged (sets are copied, not shared). */
export function mergeDeltas(
  plan: AggregatePlan,
  into: Map<string, WindowDelta>,
  from: Map<string, WindowDelta>,
): void {
  for (const [key, d] of from) {
    const cur = into.get(key);
    if (cur === undefined) {
      into.set(key, { start: d.start, groups: d.groups, accs: d.accs.map(cloneAcc) });
      continue;
    }
    plan.measures.forEach((m, i) => {
      cur.accs[i] = mergeAcc(m, cur.accs[i] ?? initAcc(m), d.accs[i] ?? initAcc(m));
    });
  }
}

export class PartitionState {
  /** next_offset as stored in PostgreSQL. */
  flushed: bigint;
  /** Next offset to consume; the deltas cover [flushed, position) minus what a flush in flight holds. */
  position: bigint;
  maxEventTime: number | null;
  /** Last high watermark seen in a fetch, for lag. */
  highWatermark: bigint | null = null;
  deltas = new Map<string, WindowDelta>();
  counts: PartitionCounts = zero();
  late: LateRow[] = [];
  bad: BadRecord[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    stored: StoredPosition,
    private readonly keepLate: boolean,
  ) {
    this.flushed = stored.nextOffset;
    this.position = stored.nextOffset;
    this.maxEventTime = stored.maxEventTime;
  }

  /** Whether anything awaits a flush: deltas, counters or a moved position. */
  get dirty(): boolean {
    return this.counts.records > 0 || this.position !== this.flushed;
  }

  /**
   * Adds the rows of one record. Event times are read first, so a record with an unreadable one is
   * rejected whole (returns the reason) and changes nothing.
   */
  addRecord(
    plan: AggregatePlan,
    rows: readonly SinkRow[],
    raw: { key: Buffer | null; value: Buffer | null },
  ): string | undefined {
    const times: number[] = [];
    for (const r of rows) {
      const t = eventTimeOf(plan.eventTime, r);
      if (typeof t === 'string') return t;
      times.push(t);
    }
    this.counts.records++;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      this.addRow(plan, r.values, times[i]!, r.offset, r.seq, raw);
    }
    return undefined;
  }

  /**
   * addRecord() of a record that gave one row, from its checked values (the fast decoding): the
   * same outcome, without a row object or an array per record.
   */
  addValues(
    plan: AggregatePlan,
    values: readonly unknown[],
    timestamp: number,
    /** The record's offset (decimal), for a late row's dead letter. */
    offset: string,
    raw: { key: Buffer | null; value: Buffer | null },
  ): string | undefined {
    const timed = this.timed;
    timed.timestamp = timestamp;
    timed.values = values;
    const t = eventTimeOf(plan.eventTime, timed);
    timed.values = NO_VALUES;
    if (typeof t === 'string') return t;
    this.counts.records++;
    this.addRow(plan, values, t, offset, 0, raw);
    return undefined;
  }

  /** Reused by addValues() to hand eventTimeOf a row without allocating one. */
  private readonly timed: TimedValues = { timestamp: 0, values: NO_VALUES };

  private addRow(
    plan: AggregatePlan,
    values: readonly unknown[],
    t: number,
    offset: bigint | string,
    seq: number,
    raw: { key: Buffer | null; value: Buffer | null },
  ): void {
    if (isLate(t, this.maxEventTime, plan.allowedLateness)) {
      this.counts.late++;
      if (this.keepLate) {
        const wm = watermark(this.maxEventTime, plan.allowedLateness);
        this.late.push({
          key: raw.key,
          value: raw.value,
          topic: this.topic,
          partition: this.partition,
          offset: offset.toString(),
          seq,
          eventTime: t,
          watermark: wm,
        });
      }
      return;
    }
    this.counts.rows++;
    const groupBy = plan.groupBy;
    const measures = plan.measures;
    const { size, slide } = plan.window;
    // deltaKey() without the groups array: it is built only for a new window row.
    let suffix = groupBy.length === 0 ? '\u0000' : '';
    for (let g = 0; g < groupBy.length; g++) suffix += `\u0000${groupValue(values[groupBy[g]!.index])}`;
    for (let start = lastWindowStart(t, slide); start > t - size; start -= slide) {
      const key = start + suffix;
      let d = this.deltas.get(key);
      if (d === undefined) {
        d = {
          start,
          groups: groupBy.map((g) => groupValue(values[g.index])),
          accs: measures.map(initAcc),
        };
        this.deltas.set(key, d);
      }
      const accs = d.accs;
      for (let j = 0; j < measures.length; j++) accs[j] = addValue(measures[j]!, accs[j]!, values);
    }
    if (this.maxEventTime === null || t > this.maxEventTime) this.maxEventTime = t;
  }

  /** Counts a bad record the policy lets through; `keep` holds it for the dead-letter target. */
  addBad(b: BadRecord, keep: boolean): void {
    this.counts.records++;
    this.counts.bad++;
    if (keep) this.bad.push(b);
  }

  /** Hands everything since the last snapshot to a flush; the state starts empty at the same position. */
  snapshot(): PartitionSnapshot {
    const s: PartitionSnapshot = {
      topic: this.topic,
      partition: this.partition,
      expected: this.flushed,
      next: this.position,
      maxEventTime: this.maxEventTime,
      deltas: this.deltas,
      counts: this.counts,
      late: this.late,
      bad: this.bad,
    };
    this.deltas = new Map();
    this.counts = zero();
    this.late = [];
    this.bad = [];
    return s;
  }

  /** The flush of `s` failed: take its content back (dead letters already sent are not re-sent). */
  restore(plan: AggregatePlan, s: PartitionSnapshot, deadLettersSent: boolean): void {
    mergeDeltas(plan, s.deltas, this.deltas);
    this.deltas = s.deltas;
    for (const k of ['records', 'rows', 'late', 'bad'] as const) this.counts[k] += s.counts[k];
    if (!deadLettersSent) {
      this.late = [...s.late, ...this.late];
      this.bad = [...s.bad, ...this.bad];
    }
  }

  /** The flush of `s` committed. */
  committed(s: PartitionSnapshot): void {
    this.flushed = s.next;
  }
}
