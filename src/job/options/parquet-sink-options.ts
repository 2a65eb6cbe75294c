// Options of the Parquet sink (`parquet({...})`): where the files go, how they are partitioned
// into Hive-style directories, and how they are encoded.

import { z } from 'zod';
import { options } from './strict-options.ts';

const partitionByFieldSchema = options({
  /** Hive-style directory name, e.g. `dt` gives `dt=2026-11-24/`. */
  name: z.string().default('dt'),
  /** Row field holding the value (a timestamp field of the schema for `date`/`hour`). */
  field: z.string(),
  /** `date` -> YYYY-MM-DD, `hour` -> YYYY-MM-DD-HH (UTC), `value` -> the value itself. */
  format: z.enum(['date', 'hour', 'value']).default('date'),
});

const partitionByKafkaTimestampSchema = options({
  /** Hive-style directory name, e.g. `dt` gives `dt=2026-11-24/`. */
  name: z.string().default('dt'),
  /** Partition by the Kafka record timestamp instead of a row field. */
  kafkaTimestamp: z.literal(true),
  /** `date` -> YYYY-MM-DD, `hour` -> YYYY-MM-DD-HH (UTC). */
  format: z.enum(['date', 'hour']).default('date'),
});

export const partitionBySchema = z.union([partitionByFieldSchema, partitionByKafkaTimestampSchema]);

export const parquetSinkSchema = options({
  /** Set by `parquet()`. */
  kind: z.literal('parquet'),
  /** `webhdfs:///data/x` (the configured WebHDFS), `webhdfs://host:port/data/x`, `file:///abs/dir` or a local path. */
  path: z.string().min(1),
  /** Hive-style partition directories: by a row field, or by the Kafka record timestamp. */
  partitionBy: partitionBySchema.optional(),
  /** Page compression codec. */
  compression: z.enum(['snappy', 'zstd', 'gzip', 'none']).default('snappy'),
  /** Rows per Parquet row group (also the in-memory batch size per open file). */
  rowGroupSize: z.number().int().positive().default(65_536),
});
export type ParquetSinkSpec = z.infer<typeof parquetSinkSchema>;
