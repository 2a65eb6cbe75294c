// `krange aggregate <job> --status`: per partition, the next offset stored in PostgreSQL against
// Kafka's high watermark (the lag), the partition's watermark and its counters. Reads only.

import type { Admin } from 'kafkajs';
import pg from 'pg';
import { Errors } from '../errors.ts';
import { addressOrigin, redactUrl } from '../job/endpoints.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { connectAdmin, fetchWatermarks, resolveTopics } from '../kafka/kafka-client.ts';
import { tpKey } from './partition-state.ts';
import { OFFSETS_TABLE, SELECT_OFFSETS_SQL, SELECT_STATS_SQL, STATS_TABLE } from './table-sql.ts';

export interface StatusRow {
  topic: string;
  partition: number;
  /** Next offset stored in PostgreSQL; null when the aggregator never consumed this partition. */
  nextOffset: string | null;
  /** Kafka's high watermark (the last stable offset under read_committed is at or below it). */
  highWatermark: string | null;
  /** highWatermark - nextOffset; null when either is unknown. */
  lag: string | null;
  /** Highest event time merged so far (ISO); the watermark is this minus allowedLateness. */
  maxEventTime: string | null;
  records: string;
  lateEvents: string;
  badRecords: string;
  /** When the offset was last moved (ISO). */
  updatedAt: string | null;
}

export async function aggregatorStatus(job: LoadedJob): Promise<StatusRow[]> {
  const { spec } = job;
  const url = spec.aggregate?.pgUrl ?? job.endpoints.pgUrl;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw Errors.unreachable({
      service: 'PostgreSQL',
      address: redactUrl(url),
      origin: addressOrigin('postgres', spec.aggregate?.pgUrl === undefined ? undefined : 'aggregate.pgUrl'),
      reason: (err as Error).message,
      cause: err,
    });
  }
  let admin: Admin | undefined;
  try {
    admin = await connectAdmin(job);
    const topics = await resolveTopics(admin, spec.topics);
    const marks = await fetchWatermarks(admin, topics);
    const exists = await client.query<{ o: boolean; s: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS o, to_regclass($2) IS NOT NULL AS s',
      [OFFSETS_TABLE, STATS_TABLE],
    );
    const offsets = exists.rows[0]?.o
      ? (
          await client.query<{
            topic: string;
            partition: number;
            next_offset: string;
            max_event_time: string | null;
            updated_at: Date;
          }>(SELECT_OFFSETS_SQL, [spec.name])
        ).rows
      : [];
    const stats = exists.rows[0]?.s
      ? (
          await client.query<{
            topic: string;
            partition: number;
            records: string;
            late_events: string;
            bad_records: string;
          }>(SELECT_STATS_SQL, [spec.name])
        ).rows
      : [];
    const rows = new Map<string, StatusRow>();
    const row = (topic: string, partition: number): StatusRow => {
      const key = tpKey(topic, partition);
      let r = rows.get(key);
      if (r === undefined) {
        r = {
          topic,
          partition,
          nextOffset: null,
          highWatermark: null,
          lag: null,
          maxEventTime: null,
          records: '0',
          lateEvents: '0',
          badRecords: '0',
          updatedAt: null,
        };
        rows.set(key, r);
      }
      return r;
    };
    for (const m of marks) row(m.topic, m.partition).highWatermark = m.latest.toString();
    for (const o of offsets) {
      const r = row(o.topic, o.partition);
      r.nextOffset = o.next_offset;
      r.maxEventTime = o.max_event_time === null ? null : new Date(Number(o.max_event_time)).toISOString();
      r.updatedAt = o.updated_at.toISOString();
    }
    for (const s of stats)
      Object.assign(row(s.topic, s.partition), {
        records: s.records,
        lateEvents: s.late_events,
        badRecords: s.bad_records,
      });
    for (const r of rows.values()) {
      if (r.nextOffset !== null && r.highWatermark !== null) {
        const lag = BigInt(r.highWatermark) - BigInt(r.nextOffset);
        r.lag = (lag > 0n ? lag : 0n).toString();
      }
    }
    return [...rows.values()].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
  } finally {
    await admin?.disconnect().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
