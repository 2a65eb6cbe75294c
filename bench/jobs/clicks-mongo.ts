// The demo clickstream job with a MongoDB sink instead of Parquet: one document per event, upserted
// by `_id` = event_id. Topic from KRANGE_CLICKSTREAM_TOPIC, collection from KRANGE_BENCH_COLLECTION.

import { defineJob, mongo } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: 'bench-clicks-mongo',
  description: 'benchmark: click events -> MongoDB upserts',
  schedule: undefined,
  aggregate: undefined,
  sinks: [
    mongo({
      database: 'krange_bench',
      collection: process.env['KRANGE_BENCH_COLLECTION'] ?? 'clicks',
      id: (row) => row['event_id'] as string,
      batchSize: 1000,
    }),
  ],
});
