import { describe, expect, it } from 'vitest';
import { applyBatch, type BatchLike } from '../../../src/aggregator/apply-batch.ts';
import { PartitionState } from '../../../src/aggregator/partition-state.ts';
import { planAggregate } from '../../../src/job/aggregate/aggregate-plan.ts';
import { validateJob } from '../../../src/job/job-loader.ts';
import { RecordProcessor } from '../../../src/records/record-processor.ts';
import { makeAggJob } from '../../fixtures/jobs/agg-events.ts';

const spec = validateJob(makeAggJob({ KRANGE_AGG_JOB: 'j', KRANGE_AGG_TOPIC: 't' }), 'agg-events');
const plan = planAggregate(spec);
const processor = new RecordProcessor(spec);
const T0 = Date.UTC(2026, 0, 1);

function msg(offset: number, value: string) {
  return { offset: String(offset), timestamp: '0', key: null, value: Buffer.from(value), headers: {} };
}
const good = (offset: number, amount = 1) =>
  msg(offset, JSON.stringify({ user: 'u', page: '/a', country: 'FR', ts: T0, amount }));

function batch(
  messages: ReturnType<typeof msg>[],
  opts: { fetchedOffset?: number; lastOffset?: number } = {},
): BatchLike {
  const last = opts.lastOffset ?? Number(messages[messages.length - 1]?.offset ?? 0);
  return {
    topic: 't',
    partition: 0,
    highWatermark: String(last + 1),
    messages,
    lastOffset: () => String(last),
    ...(opts.fetchedOffset === undefined ? {} : { fetchedOffset: String(opts.fetchedOffset) }),
  };
}

const state = (at: number) =>
  new PartitionState('t', 0, { nextOffset: BigInt(at), maxEventTime: null }, false);
const ctx = { plan, processor, policy: 'skip' as const, keepBad: false };

describe('applying a batch', () => {
  it('skips records below the position (replays, fetches from before a seek) and resolves the last one taken', () => {
    const st = state(5);
    const r = applyBatch(st, batch([good(3), good(4), good(5), good(6)], { fetchedOffset: 3 }), ctx);
    expect(r).toEqual({ records: 2, resolve: '6' });
    expect(st.position).toBe(7n);
    expect(st.counts.records).toBe(2);
    expect(st.highWatermark).toBe(7n);
  });

  it('resolves nothing when every record was seen (the caller seeks instead)', () => {
    const st = state(10);
    expect(applyBatch(st, batch([good(8), good(9)], { fetchedOffset: 8 }), ctx)).toEqual({ records: 0 });
    expect(st.position).toBe(10n);
  });

  it('jumps over offsets kafkajs skipped (aborted transactions, control records) and trailing control records', () => {
    const st = state(5);
    // The fetch started at 9: offsets 5..8 were control/aborted records kafkajs resolved itself.
    applyBatch(st, batch([good(9), good(10)], { fetchedOffset: 9, lastOffset: 11 }), ctx);
    expect(st.position).toBe(12n);
  });

  it('counts bad records under skip and keeps them for a dead-letter target', () => {
    const st = state(0);
    const r = applyBatch(
      st,
      batch([
        good(0),
        msg(1, '{oops'),
        msg(2, JSON.stringify({ user: 'u', page: '/a', country: 'FR', ts: 'soon', amount: 1 })),
      ]),
      {
        ...ctx,
        keepBad: true,
      },
    );
    expect(r).toEqual({ records: 3, resolve: '2' });
    expect(st.counts).toMatchObject({ records: 3, rows: 1, bad: 2 });
    expect(st.bad.map((b) => [b.offset, b.stage])).toEqual([
      ['1', 'decode'],
      ['2', 'schema'],
    ]);
    expect(st.position).toBe(3n);
  });

  it("stops on a bad record under 'fail', the position left on it", () => {
    const st = state(0);
    const r = applyBatch(st, batch([good(0), msg(1, 'nope'), good(2)]), { ...ctx, policy: 'fail' });
    expect(r.failed).toMatchObject({ topic: 't', partition: 0, offset: '1', stage: 'decode' });
    expect(r.records).toBe(1);
    expect(st.position).toBe(1n);
    expect(st.counts.records).toBe(1);
  });
});
