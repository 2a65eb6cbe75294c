// One fetched batch of one partition applied to that partition's in-memory state: records below
// the state's position are skipped (a replay or a fetch from before a seek), each record goes
// through the job's RecordProcessor (the batch job's decode, transform and schema check) and the
// onBadRecord policy, and the position advances record by record. No I/O: the caller resolves
// offsets and seeks.

import type { KafkaMessage } from 'kafkajs';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import type { BadRecordPolicy } from '../job/job-spec.ts';
import type { BadRecord, RawRecord } from '../records/record.ts';
import type { RecordProcessor } from '../records/record-processor.ts';
import { DECLINE, type FastDecode } from './fast-decode.ts';
import type { PartitionState } from './partition-state.ts';

/** What the aggregator reads of a kafkajs batch (`fetchedOffset` is there at runtime, not in its types). */
export interface BatchLike {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: Pick<KafkaMessage, 'offset' | 'timestamp' | 'key' | 'value' | 'headers'>[];
  lastOffset(): string;
  fetchedOffset?: string;
}

export interface ApplyContext {
  plan: AggregatePlan;
  processor: RecordProcessor;
  policy: BadRecordPolicy;
  /** Keep bad records for a dead-letter target (else only counted). */
  keepBad: boolean;
  /** The fast decoding (fast-decode.ts), for a job the byte scanner serves; RecordProcessor takes what it declines. */
  fast?: FastDecode | undefined;
}

export interface ApplyResult {
  /** Offset to resolve in kafkajs (the last record consumed), if any was. */
  resolve?: string;
  /** Records consumed (good or bad). */
  records: number;
  /** Under onBadRecord 'fail': the bad record; the position stays on it. */
  failed?: BadRecord;
}

function headersOf(h: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((b) => b.toString()).join(',') : v.toString();
  }
  return out;
}

export function applyBatch(st: PartitionState, batch: BatchLike, ctx: ApplyContext): ApplyResult {
  // kafkajs resolves batches made only of aborted-transaction or control records without handing
  // them to us: a fetch that starts past our position (no seek pending) skipped only such records.
  if (batch.fetchedOffset !== undefined && BigInt(batch.fetchedOffset) > st.position)
    st.position = BigInt(batch.fetchedOffset);
  st.highWatermark = BigInt(batch.highWatermark);
  let resolve: string | undefined;
  let records = 0;
  const fast = ctx.fast;
  const scanned = {
    topic: batch.topic,
    partition: batch.partition,
    timestamp: 0,
    key: null as Buffer | null,
  };
  // Offsets rise within a batch: once one is at or past the position, so are the rest (no BigInt each).
  let behind = true;
  // The fast path moves the position once, when it hands over or at the end (settle()).
  let unsettled = false;
  const settle = () => {
    if (unsettled && resolve !== undefined) st.position = BigInt(resolve) + 1n;
    unsettled = false;
  };
  for (const m of batch.messages) {
    if (behind) {
      if (BigInt(m.offset) < st.position) continue;
      behind = false;
    }
    if (fast !== undefined && m.value !== null) {
      const v = m.value;
      scanned.timestamp = Number(m.timestamp);
      scanned.key = m.key ?? null;
      const values = fast.values(v, 0, v.length, scanned, m.offset);
      if (values !== DECLINE) {
        const reason =
          values === null
            ? st.addRecord(ctx.plan, [], m)
            : st.addValues(ctx.plan, values, scanned.timestamp, m.offset, { key: scanned.key, value: v });
        if (reason === undefined) {
          resolve = m.offset;
          unsettled = true;
          records++;
          continue;
        }
        // An event time that cannot be read: the JSON.parse path below makes the same bad record.
      }
    }
    settle();
    const offset = BigInt(m.offset);
    const raw: RawRecord = {
      topic: batch.topic,
      partition: batch.partition,
      offset,
      timestamp: Number(m.timestamp),
      key: m.key ?? null,
      value: m.value ?? null,
      headers: headersOf(m.headers),
    };
    const res = ctx.processor.process(raw);
    let bad: BadRecord | undefined;
    if (res.ok) {
      const reason = st.addRecord(ctx.plan, res.rows, raw);
      if (reason !== undefined) {
        const et = ctx.plan.eventTime;
        bad = {
          topic: raw.topic,
          partition: raw.partition,
          offset: m.offset,
          stage: 'schema',
          reason,
          key: raw.key,
          value: raw.value,
        };
        if (et.kind === 'field') bad.field = et.field;
      }
    } else bad = res.bad;
    if (bad !== undefined) {
      if (ctx.policy === 'fail')
        return { records, failed: bad, ...(resolve === undefined ? {} : { resolve }) };
      st.addBad(bad, ctx.keepBad);
    }
    st.position = offset + 1n;
    resolve = m.offset;
    records++;
  }
  settle();
  // Resolving a batch's last record resolves its trailing control records too (kafkajs does the same).
  if (resolve !== undefined && resolve === batch.messages[batch.messages.length - 1]?.offset) {
    const end = BigInt(batch.lastOffset()) + 1n;
    if (end > st.position) st.position = end;
  }
  return { records, ...(resolve === undefined ? {} : { resolve }) };
}
