// The demo clickstream job with a Kafka sink: the JSON of each row keyed by user_id, one Kafka
// transaction per task. Topic from KRANGE_CLICKSTREAM_TOPIC, output topic from KRANGE_BENCH_OUT_TOPIC.

import { defineJob, kafka } from 'krange';
import clickstream from '../../jobs/clickstream.ts';

export default defineJob({
  ...clickstream,
  name: 'bench-clicks-kafka',
  description: 'benchmark: click events -> a Kafka topic, transactionally',
  schedule: undefined,
  aggregate: undefined,
  sinks: [kafka({ topic: process.env['KRANGE_BENCH_OUT_TOPIC'] ?? 'bench-clicks-out', key: 'user_id' })],
});
