// Runs in each test worker: the server addresses chosen by global-setup.ts become KRANGE_* variables.
import { inject } from 'vitest';

for (const v of [
  'KRANGE_KAFKA_BROKERS',
  'KRANGE_WEBHDFS_URL',
  'KRANGE_MONGO_URL',
  'KRANGE_REDIS_URL',
  'KRANGE_PG_URL',
] as const) {
  const value = inject(v);
  if (value) process.env[v] = value;
}
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
process.env['KRANGE_TEST_SERVERS'] = inject('KRANGE_TEST_SERVERS');
