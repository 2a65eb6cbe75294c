// The demo clickstream job on a one-second schedule, for bench/small-iteration.ts: topic from
// KRANGE_CLICKSTREAM_TOPIC, Parquet path from KRANGE_CLICKSTREAM_PATH (both the demo job's).

import { defineJob } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: process.env['KRANGE_BENCH_JOB'] ?? 'bench-clicks-every-second',
  description: 'benchmark: a small iteration every second',
  schedule: { cron: '* * * * * *' },
  aggregate: undefined,
});
