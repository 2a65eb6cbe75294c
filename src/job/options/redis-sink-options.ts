// Options of the Redis sink (`redis({...})`): the write mode, the key template rendered per row,
// TTL, pipelining, and connection options for Sentinel or Cluster.

import { z } from 'zod';
import { keyTemplateError } from '../key-template.ts';
import { options } from './strict-options.ts';

export const redisSinkSchema = options({
  /** Set by `redis()`. */
  kind: z.literal('redis'),
  /** Defaults to KRANGE_REDIS_URL. */
  url: z.string().optional(),
  /**
   * `set`: key -> JSON of the row (or `valueField`), optional TTL; `hset`: key -> hash of the row's fields
   * (as strings; null fields are removed), optional TTL; `latest`: key -> hash `{v, t, p, o, ts}` (value,
   * topic, partition, offset, timestamp) replaced only by a record with a higher offset in the same
   * partition (or a later timestamp from another one), so a replay never moves a key backwards.
   */
  mode: z.enum(['set', 'hset', 'latest']),
  /**
   * Key template: `{field}` placeholders from the row, plus `{topic}`, `{partition}`, `{offset}` (a row
   * field of that name wins); `{{` and `}}` are literal braces (`cart:{{{user}}}` -> `cart:{42}`).
   */
  key: z
    .string()
    .min(1)
    .superRefine((key, ctx) => {
      const problem = keyTemplateError(key);
      if (problem !== undefined)
        ctx.addIssue({ code: 'custom', message: `key template '${key}': ${problem}` });
    }),
  /** Store this row field instead of the JSON of the whole row (`set`, `latest`). */
  valueField: z.string().optional(),
  /** Expiry of every key written (`set`, `hset`, `latest`). */
  ttlSeconds: z.number().int().positive().optional(),
  /** Rows per pipelined round trip. */
  pipelineSize: z.number().int().positive().default(1000),
  /** At most this many retries of a round trip after retriable errors (backoff with jitter), within the job's `retry.budgetMs`. */
  retries: z.number().int().min(0).default(5),
  /**
   * Extra ioredis options. Sentinel: `{ sentinels: [{ host, port }], name: 'mymaster' }`. Cluster:
   * `{ cluster: { nodes: [{ host, port }], ...ClusterOptions } }` (the other options apply to each node).
   * Passed through to ioredis, which owns their names.
   */
  redisOptions: z.record(z.string(), z.unknown()).optional(),
});
export type RedisSinkSpec = z.infer<typeof redisSinkSchema>;
