// The demo clickstream job with a PostgreSQL sink: COPY into <KRANGE_BENCH_TABLE>, exactly once by
// range markers. Topic from KRANGE_CLICKSTREAM_TOPIC.

import { defineJob, postgres } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: 'bench-clicks-postgres',
  description: 'benchmark: click events -> PostgreSQL COPY',
  schedule: undefined,
  aggregate: undefined,
  sinks: [postgres({ table: process.env['KRANGE_BENCH_TABLE'] ?? 'bench_clicks' })],
});
