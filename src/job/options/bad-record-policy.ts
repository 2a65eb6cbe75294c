// What happens to a record that cannot be decoded, transformed, checked against the schema or
// accepted by a sink: fail the iteration, skip it (counted), or send it to a dead letter.

import { z } from 'zod';
import { options } from './strict-options.ts';

/** Record-batch compression of what krange writes to a dead-letter topic (any Kafka codec). */
export const deadLetterCompressionSchema = z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none');

const deadLetterTargetSchema = z.union([
  options({
    /** Kafka topic receiving the raw record with the reason in its headers (must exist). */
    topic: z.string().min(1),
    /** Compression of the batches krange writes there; default none. Readers need no setup for any. */
    compression: deadLetterCompressionSchema,
  }),
  options({
    /** Directory (local or `webhdfs://`) receiving JSON lines per task. */
    path: z.string().min(1),
  }),
]);

export const badRecordPolicySchema = z.union([
  z.literal('fail'),
  z.literal('skip'),
  options({
    /** Where bad records go: `{ topic }` or `{ path }`. */
    deadLetter: deadLetterTargetSchema,
  }),
]);
export type BadRecordPolicy = z.infer<typeof badRecordPolicySchema>;
