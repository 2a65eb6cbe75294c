// The demo clickstream job scheduled every second, for bench/takeover.ts: topic from
// KRANGE_CLICKSTREAM_TOPIC, Parquet under KRANGE_CLICKSTREAM_PATH.

import { defineJob } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: 'bench-takeover',
  description: 'benchmark: takeover of a scheduled job after its leader dies',
  schedule: { cron: '* * * * * *' },
  aggregate: undefined,
});
