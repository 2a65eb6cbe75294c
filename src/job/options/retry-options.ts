// How long krange waits for a failing service before an attempt gives up (retry.ts). One budget
// for the job's calls to WebHDFS, MongoDB, Redis and PostgreSQL; the aggregator waits without one.

import { z } from 'zod';
import { options } from './strict-options.ts';

export const retrySchema = options({
  /**
   * How long a failing call to a service (a WebHDFS request, a sink write) is retried, in ms,
   * counted from its first attempt; waits double from 200 ms to 5 s, with jitter. Only failures
   * marked retriable are retried (an outage, HDFS safe mode or standby, a lost connection), never a
   * refusal. Default: `KRANGE_RETRY_BUDGET_MS`, else 120000 (a NameNode restart or an HA failover
   * takes 30-90 s). 0 tries once. The sinks' own `retries` cap the count within this budget.
   */
  budgetMs: z.number().int().min(0).optional(),
});
export type RetrySpec = z.infer<typeof retrySchema>;
