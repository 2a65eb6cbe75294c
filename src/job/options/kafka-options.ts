// The source side of a job: which topics, where the first iteration starts, and how krange talks
// to the Kafka cluster.

import { z } from 'zod';
import { options } from './strict-options.ts';

/** Topic names, or a RegExp matched against the cluster's topics at plan time. */
export const topicsSchema = z.union([z.array(z.string().min(1)).min(1), z.instanceof(RegExp)]);

const partitionOffsetsSchema = z.record(
  z.string().regex(/^\d+$/, 'partition numbers are whole numbers'),
  z.union([z.number().int().min(-2), z.string().regex(/^-?\d+$/)]),
);

const startingTimestampSchema = options({
  /** The first offset whose timestamp is >= this time (ms or ISO). */
  timestamp: z.union([z.number().int(), z.string().datetime({ offset: true })]),
});

/** Where the first iteration begins: `earliest`, `latest`, per-partition offsets, or a time. */
export const startingOffsetsSchema = z.union([
  z.literal('earliest'),
  z.literal('latest'),
  /** A time: `{ timestamp }`. Listed before the offsets map, which would otherwise swallow it. */
  startingTimestampSchema,
  /** `{"topic": {"0": 23, "1": -2}}`: -2 earliest, -1 latest. */
  z.record(z.string(), partitionOffsetsSchema),
]);
export type StartingOffsets = z.infer<typeof startingOffsetsSchema>;

export const kafkaOptionsSchema = options({
  /** Bootstrap brokers (`host:port`); default KRANGE_KAFKA_BROKERS. */
  brokers: z.array(z.string()).optional(),
  /** Client id sent to the brokers; default `krange-<job>`. */
  clientId: z.string().optional(),
  /** read_committed (default) skips aborted transactional records. */
  isolation: z.enum(['read_committed', 'read_uncommitted']).default('read_committed'),
}).default({ isolation: 'read_committed' });
