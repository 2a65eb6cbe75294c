import { describe, expect, it } from 'vitest';
import { mergeDeltas, PartitionState, type WindowDelta } from '../../../src/aggregator/partition-state.ts';
import type { AggregatePlan } from '../../../src/job/aggregate/aggregate-plan.ts';
import { accToJson } from '../../../src/job/aggregate/measures.ts';
import type { SinkRow } from '../../../src/sinks/sink.ts';

// Rows: [page, amount, user]; event time from the Kafka timestamp.
const plan: AggregatePlan = {
  job: 'j',
  table: 'j_agg',
  topics: ['t'],
  groupBy: [{ column: 'page', index: 0 }],
  eventTime: { kind: 'kafka' },
  window: { size: 60_000, slide: 30_000 },
  allowedLateness: 10_000,
  measures: [
    { name: 'n', op: 'count', index: -1, kind: 'int' },
    { name: 's', op: 'sum', field: 'amount', index: 1, kind: 'int' },
    { name: 'u', op: 'countDistinct', field: 'user', index: 2, kind: 'text' },
  ],
};

const raw = { key: null, value: Buffer.from('{}') };
let offset = 0n;
function row(ts: number, page: string, amount: number, user: string): SinkRow {
  return {
    row: {},
    values: [page, BigInt(amount), user],
    topic: 't',
    partition: 0,
    offset: offset++,
    timestamp: ts,
    seq: 0,
  };
}

function view(deltas: Map<string, WindowDelta>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const d of [...deltas.values()].sort(
    (a, b) => a.start - b.start || (a.groups[0]! < b.groups[0]! ? -1 : 1),
  )) {
    out[`${d.start}|${d.groups.join('|')}`] = plan.measures.map((m, i) => accToJson(m, d.accs[i]!));
  }
  return out;
}

describe('partition state', () => {
  it('adds each row to all its hopping windows and tracks the watermark', () => {
    const st = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, false);
    st.addRecord(plan, [row(65_000, '/a', 5, 'x')], raw);
    st.addRecord(plan, [row(70_000, '/a', 7, 'y'), row(70_000, '/b', 1, 'x')], raw);
    expect(view(st.deltas)).toEqual({
      '30000|/a': [2, '12', ['x', 'y']],
      '30000|/b': [1, '1', ['x']],
      '60000|/a': [2, '12', ['x', 'y']],
      '60000|/b': [1, '1', ['x']],
    });
    expect(st.maxEventTime).toBe(70_000);
    expect(st.counts).toEqual({ records: 2, rows: 3, late: 0, bad: 0 });
  });

  it('counts rows older than the watermark as late, keeps them for a dead-letter topic, and never merges them', () => {
    const st = new PartitionState('t', 0, { nextOffset: 10n, maxEventTime: 100_000 }, true);
    st.addRecord(plan, [row(89_999, '/a', 1, 'x')], raw);
    st.addRecord(plan, [row(90_000, '/a', 2, 'x')], raw);
    expect(st.counts).toEqual({ records: 2, rows: 1, late: 1, bad: 0 });
    expect(st.late).toMatchObject([{ eventTime: 89_999, watermark: 90_000, topic: 't', partition: 0 }]);
    expect(view(st.deltas)).toEqual({ '60000|/a': [1, '2', ['x']], '90000|/a': [1, '2', ['x']] });
  });

  it('rejects a record whose event time cannot be read, without touching the windows', () => {
    const byField: AggregatePlan = {
      ...plan,
      eventTime: { kind: 'field', field: 'user', index: 2, type: { kind: 'utf8', nullable: false } },
    };
    const st = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, false);
    expect(
      st.addRecord(byField, [row(0, '/a', 1, '2026-01-01T00:00:00Z'), row(0, '/a', 1, 'soon')], raw),
    ).toMatch(/not a time/);
    expect(st.deltas.size).toBe(0);
    expect(st.counts.records).toBe(0);
  });

  it('snapshots for a flush and takes a failed snapshot back: nothing lost, nothing doubled', () => {
    const st = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, true);
    const reference = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, true);
    const input = [
      row(65_000, '/a', 5, 'x'),
      row(70_000, '/a', 7, 'y'),
      row(1000, '/c', 1, 'z'),
      row(75_000, '/b', 2, 'x'),
    ];
    for (const [i, r] of input.entries()) {
      st.addRecord(plan, [r], raw);
      reference.addRecord(plan, [r], raw);
      st.position = BigInt(i + 1);
    }
    expect(st.dirty).toBe(true);
    const s = st.snapshot();
    expect(s).toMatchObject({
      expected: 0n,
      next: 4n,
      maxEventTime: 75_000,
      counts: { records: 4, late: 1 },
    });
    expect(st.deltas.size).toBe(0);
    // More records arrive while the flush is in flight, then the flush fails.
    const later = row(80_000, '/a', 100, 'w');
    st.addRecord(plan, [later], raw);
    reference.addRecord(plan, [later], raw);
    st.restore(plan, s, false);
    expect(view(st.deltas)).toEqual(view(reference.deltas));
    expect(st.counts).toEqual(reference.counts);
    expect(st.late).toHaveLength(1);
    expect(st.flushed).toBe(0n);
    // A successful flush moves the stored offset.
    const again = st.snapshot();
    st.committed(again);
    expect(st.flushed).toBe(4n);
    expect(st.dirty).toBe(false);
  });

  it('merges deltas without sharing sets between maps', () => {
    const a = new PartitionState('t', 0, { nextOffset: 0n, maxEventTime: null }, false);
    const b = new PartitionState('t', 1, { nextOffset: 0n, maxEventTime: null }, false);
    a.addRecord(plan, [row(0, '/a', 1, 'x')], raw);
    b.addRecord(plan, [row(0, '/a', 2, 'y')], raw);
    const merged = new Map<string, WindowDelta>();
    mergeDeltas(plan, merged, a.deltas);
    mergeDeltas(plan, merged, b.deltas);
    expect(view(merged)).toEqual({ '-30000|/a': [2, '3', ['x', 'y']], '0|/a': [2, '3', ['x', 'y']] });
    expect(view(a.deltas)).toEqual({ '-30000|/a': [1, '1', ['x']], '0|/a': [1, '1', ['x']] });
  });
});
