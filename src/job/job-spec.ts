// The job specification: what a job module exports through defineJob(), validated once (zod) when
// the job is loaded, then trusted. Each option group lives in options/ with a doc comment per field,
// so the editor explains it; every options object is strict (a misspelled key is refused).

import { z } from 'zod';
import type { Transform } from './job-records.ts';
import { aggregateSchema } from './options/aggregate-options.ts';
import { badRecordPolicySchema } from './options/bad-record-policy.ts';
import { columnsSchema, whereSchema } from './options/columns-options.ts';
import { decoderSchema } from './options/decoder-options.ts';
import { executorsSchema } from './options/executors-options.ts';
import { kafkaOptionsSchema, startingOffsetsSchema, topicsSchema } from './options/kafka-options.ts';
import { limitsSchema } from './options/limits-options.ts';
import { monitoringSchema } from './options/monitoring-options.ts';
import { retrySchema } from './options/retry-options.ts';
import { scheduleSchema } from './options/schedule-options.ts';
import { sinkSchema } from './options/sink-options.ts';
import { stateStoreSchema } from './options/state-store-options.ts';
import { fn, options } from './options/strict-options.ts';
import { type Schema, schemaSchema } from './schema.ts';
import type { SchemaSource } from './schema-source.ts';

export type {
  CustomDecoder,
  DecodedRecord,
  RecordCoordinates,
  Row,
  Transform,
  TransformResult,
} from './job-records.ts';
export {
  type AggregateSpec,
  aggregateSchema,
  type EmitSpec,
  type MeasureSpec,
  measureSchema,
} from './options/aggregate-options.ts';
export { type BadRecordPolicy, badRecordPolicySchema } from './options/bad-record-policy.ts';
export { durationSchema } from './options/duration.ts';
export { type StartingOffsets, startingOffsetsSchema } from './options/kafka-options.ts';
export { type KafkaMessage, type KafkaSinkSpec, kafkaSinkSchema } from './options/kafka-sink-options.ts';
export { limitsSchema } from './options/limits-options.ts';
export { type MongoSinkSpec, mongoSinkSchema } from './options/mongo-sink-options.ts';
export { type ParquetSinkSpec, parquetSinkSchema } from './options/parquet-sink-options.ts';
export { type PostgresSinkSpec, postgresSinkSchema } from './options/postgres-sink-options.ts';
export { type RedisSinkSpec, redisSinkSchema } from './options/redis-sink-options.ts';
export { type SinkSpec, sinkSchema } from './options/sink-options.ts';

export const jobSpecSchema = options({
  /** Job name: state lives in `<stateStore>/<name>/` (`state/<name>/` by default). */
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'letters, digits, _ . -'),
  /** Shown by `krange jobs`. */
  description: z.string().optional(),
  /** Topic names, or a RegExp matched against the cluster's topics at plan time. */
  topics: topicsSchema,
  /** How record values are decoded: `json` (default), `string`, `bytes` or `{ name, decode }`. */
  decoder: decoderSchema,
  /** Runs inside the worker: record -> row | rows | null (drop). Default: the decoded value is the row. */
  transform: fn<Transform>('transform').optional(),
  /**
   * The declarative alternative to `transform`: `{ field: 'value_field' | { kafka: 'offset' } }` per
   * schema field (unnamed fields take the value's field of the same name). With the `json` decoder
   * krange then reads the wanted fields straight from each value's bytes (`krange plan` says whether
   * a job gets this fast path, and why not).
   */
  columns: columnsSchema.optional(),
  /**
   * Declarative filter: keep a record only when every condition holds on its schema field's value
   * as read: `{ country: { in: ['US', 'DE'] }, referrer: { not: null } }` (a missing field is null).
   * Not with a JavaScript `transform` (filter there).
   */
  where: whereSchema.optional(),
  /** The output columns: `{ field: t.utf8(), ... }`. */
  schema: schemaSchema,
  /** Where rows go: `parquet()`, `mongo()`, `redis()`. */
  sinks: z.array(sinkSchema).min(1, 'a job needs at least one sink'),
  /** Where the first iteration begins (later ones continue from the committed position). */
  startingOffsets: startingOffsetsSchema.default('earliest'),
  /** Fail (default) when planned offsets were deleted by retention; false records the lost range and goes on. */
  failOnDataLoss: z.boolean().default(true),
  /** `fail` (default), `skip`, or `{ deadLetter: { topic } | { path } }`. */
  onBadRecord: badRecordPolicySchema.default('fail'),
  /**
   * With the `json` and `string` decoders, a utf8 field whose input bytes are not valid UTF-8:
   * `badRecord` (default) sends the record to onBadRecord with its raw bytes; `replace` stores the
   * text with U+FFFD in place of each invalid sequence.
   */
  invalidUtf8: z.enum(['badRecord', 'replace']).default('badRecord'),
  /** Iteration size, task splitting, workers. */
  limits: limitsSchema,
  /**
   * How many iterations keep their full plan and commit files in the state directory (default 100,
   * like Spark's minBatchesToRetain). Older committed ones are folded into `history.jsonl`, one line
   * each (ranges, records, files), which `krange state` shows; a folded iteration cannot be rerun.
   */
  retainIterations: z.number().int().min(1).default(100),
  /**
   * Where the job's state and its lock's lease live: a directory (`file:///abs/dir`, a relative
   * path), `webhdfs:///krange/state` (HDFS), or `postgres:` (the job's PostgreSQL, table
   * `krange_state`). Default: KRANGE_STATE_URL, else KRANGE_STATE_DIR, else `./state`.
   */
  stateStore: stateStoreSchema.optional(),
  /**
   * Where tasks run: `threads` (default, the local worker threads) or `bullmq` (`krange executor`
   * processes on any hosts take them from a BullMQ queue on Redis).
   */
  executors: executorsSchema,
  /**
   * Where records are checked against `schema` (after decoder and transform): `job` (default) when
   * the batch job reads them, applying `onBadRecord`; `ingest` also at `krange ingest`, which refuses a
   * record that does not fit with a 4xx naming the record and field, so it never reaches Kafka.
   */
  validateAt: z.enum(['job', 'ingest']).default('job'),
  /** Cron schedule for `krange schedule`. */
  schedule: scheduleSchema.optional(),
  /** Streaming windowed aggregates into PostgreSQL (`krange aggregate`). */
  aggregate: aggregateSchema.optional(),
  /** Kafka client options. */
  kafka: kafkaOptionsSchema,
  /** How long failing service calls are retried: `{ budgetMs }` (default KRANGE_RETRY_BUDGET_MS, else 2 min). */
  retry: retrySchema.optional(),
  /** Visibility to tools outside krange: `{ commitToGroup: '<group>' }` (off by default). */
  monitoring: monitoringSchema.optional(),
});

/**
 * What a job module declares (inputs: defaults may be omitted); `schema` may be derived
 * (`fromRegistry`, `fromAvroSchema`), resolved when the job is loaded.
 */
export type JobInput = Omit<z.input<typeof jobSpecSchema>, 'schema'> & { schema: Schema | SchemaSource };
/** A loaded, validated job. */
export type JobSpec = z.output<typeof jobSpecSchema>;
