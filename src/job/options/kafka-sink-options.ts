// Options of the Kafka sink (`kafka({...})`): output topic, how a row becomes a record, and the
// per-range transaction that makes each record appear once.

import { z } from 'zod';
import type { RecordCoordinates, Row } from '../job-records.ts';
import { durationSchema } from './duration.ts';
import { fn, options } from './strict-options.ts';

/** What `message(row, record)` returns: the record to produce instead of the JSON of the row. */
export interface KafkaMessage {
  key?: string | Buffer | null;
  /** A string or Buffer as it is; anything else is serialized as JSON (bigint kept exact). */
  value: unknown;
  headers?: Record<string, string | Buffer>;
  /** An explicit output partition (overrides the partitioner). */
  partition?: number;
}

export const kafkaSinkSchema = options({
  /** Set by `kafka()`. */
  kind: z.literal('kafka'),
  /** Output topic; it must exist (create it with the partitions and retention you want). */
  topic: z.string().min(1),
  /** Brokers of the output cluster; defaults to the job's kafka.brokers, then KRANGE_KAFKA_BROKERS. */
  brokers: z.array(z.string().min(1)).min(1).optional(),
  /** Row field whose value is the record key (as a string); default: no key. Ignored with `message`. */
  key: z.string().optional(),
  /** `(row, record) => { key?, value, headers?, partition? }`: the record to produce for a row. */
  message: fn<(row: Row, record: RecordCoordinates) => KafkaMessage>('kafka message').optional(),
  /**
   * `default`: murmur2 of the key, as Java clients (keyless records spread round-robin);
   * `legacy`: kafkajs's old partitioner; `source`: the source record's partition (modulo the output's).
   */
  partitioner: z.enum(['default', 'legacy', 'source']).default('default'),
  /** Codec of the produced batches; all four are built in (src/kafka/compression.ts). */
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
  /** Most records per produce request inside the task's transaction (a request also stays under 768 KiB). */
  batchSize: z.number().int().positive().default(5000),
  /** Largest record (key + value + headers) produced; a larger one follows onBadRecord. */
  maxMessageBytes: z.number().int().positive().default(1_000_000),
  /** The broker aborts a transaction left open this long (a killed run); readers wait at most that. */
  transactionTimeout: durationSchema.default(60_000),
});
export type KafkaSinkSpec = z.infer<typeof kafkaSinkSchema>;
