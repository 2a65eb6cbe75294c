// The demo clickstream job with a Redis sink: SET <prefix>:<event_id> -> JSON of the row, pipelined.
// Topic from KRANGE_CLICKSTREAM_TOPIC, key prefix from KRANGE_BENCH_PREFIX.

import { defineJob, redis } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: 'bench-clicks-redis',
  description: 'benchmark: click events -> Redis SETs',
  schedule: undefined,
  aggregate: undefined,
  sinks: [
    redis({
      mode: 'set',
      key: `${process.env['KRANGE_BENCH_PREFIX'] ?? 'bench:clicks'}:{event_id}`,
      pipelineSize: 1000,
    }),
  ],
});
