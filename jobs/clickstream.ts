// The demo job: JSON click events from the `clickstream` topic to Parquet on HDFS, partitioned by
// event date (dt=YYYY-MM-DD). `make run-job` produces demo data first when the topic is empty.

import { defineJob, parquet, t } from 'krange';
import type { ClickEvent } from '../src/demo/clickstream-events.ts';

export default defineJob({
  name: 'clickstream',
  description: 'Click events -> Parquet on HDFS by event date',
  topics: [process.env['KRANGE_CLICKSTREAM_TOPIC'] ?? 'clickstream'],
  decoder: 'json',
  schema: {
    event_id: t.utf8(),
    user_id: t.int64(),
    session_id: t.utf8(),
    ts: t.timestamp('ms'),
    url: t.utf8(),
    referrer: t.nullable(t.utf8()),
    country: t.utf8(),
    device: t.utf8(),
    price: t.nullable(t.float64()),
    tags: t.list(t.utf8()),
    kafka_partition: t.int32(),
    kafka_offset: t.int64(),
  },
  transform: (r) => {
    // The decoded value is ours to keep: adding fields to it is cheaper than copying it.
    const c = r.value as ClickEvent & { kafka_partition?: number; kafka_offset?: string };
    c.kafka_partition = r.partition;
    c.kafka_offset = r.offset;
    return c;
  },
  sinks: [
    parquet({
      path: process.env['KRANGE_CLICKSTREAM_PATH'] ?? 'webhdfs:///data/clickstream',
      partitionBy: { name: 'dt', field: 'ts', format: 'date' },
      compression: 'snappy',
    }),
  ],
  schedule: { cron: '*/5 * * * *', timezone: 'UTC' },
  // `krange aggregate clickstream`: per-minute clicks and revenue by country and device in
  // PostgreSQL table clickstream_agg, by event time, exactly once.
  aggregate: {
    groupBy: ['country', 'device'],
    eventTime: { field: 'ts' },
    window: { size: '1m' },
    measures: {
      clicks: { op: 'count' },
      revenue: { op: 'sum', field: 'price' },
      max_price: { op: 'max', field: 'price' },
      users: { op: 'countDistinct', field: 'user_id' },
    },
    allowedLateness: '5m',
  },
});
