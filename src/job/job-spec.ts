// The job specification: what a job module exports through defineJob(), validated once (zod) when
// the job is loaded, then trusted. Every option is documented here, so the editor explains it.

import { z } from 'zod';
import { keyTemplateError } from '../sinks/redis/redis-encoding.ts';
import { type Schema, schemaSchema } from './schema.ts';

/** A Kafka record after decoding, as the transform sees it. Offsets are exact decimal strings. */
export interface DecodedRecord<V = unknown> {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka record timestamp, ms since the epoch. */
  timestamp: number;
  /** Read on demand (an accessor): `{ ...record }` leaves it out, `record.key` or destructuring reads it. */
  readonly key: Buffer | null;
  value: V;
  headers: Record<string, string>;
}

export type Row = Record<string, unknown>;

/** Where a row came from, as sink functions (the Mongo sink's `id`) see it. */
export interface RecordCoordinates {
  topic: string;
  partition: number;
  /** Exact decimal string. */
  offset: string;
  /** Kafka record timestamp, ms since the epoch. */
  timestamp: number;
  /** n-th row the transform returned for this record (0 for the first). */
  seq: number;
}
export type TransformResult = Row | Row[] | null | undefined;
export type Transform<V = unknown> = (record: DecodedRecord<V>) => TransformResult;

export interface CustomDecoder {
  name: string;
  decode: (value: Buffer | null) => unknown;
}

const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { message: `${what} must be a function` });

/** `30s`, `5m`, `1h`, `250ms` or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, "a duration like '250ms', '30s', '5m', '1h' or '1d'")
    .transform((s) => {
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
      const n = Number(m?.[1]);
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m?.[2] as 'ms'];
      return n * unit;
    }),
]);

const partitionBySchema = z.union([
  z.object({
    /** Hive-style directory name, e.g. `dt` gives `dt=2026-11-24/`. */
    name: z.string().default('dt'),
    /** Row field holding the value (a timestamp field for date/hour). */
    field: z.string(),
    /** `date` -> YYYY-MM-DD, `hour` -> YYYY-MM-DD-HH (UTC), `value` -> the value itself. */
    format: z.enum(['date', 'hour', 'value']).default('date'),
  }),
  z.object({
    name: z.string().default('dt'),
    /** Partition by the Kafka record timestamp instead of a row field. */
    kafkaTimestamp: z.literal(true),
    format: z.enum(['date', 'hour']).default('date'),
  }),
]);

export const parquetSinkSchema = z.object({
  kind: z.literal('parquet'),
  /** `webhdfs:///data/x` (the configured WebHDFS), `webhdfs://host:port/data/x`, `file:///abs/dir` or a local path. */
  path: z.string().min(1),
  partitionBy: partitionBySchema.optional(),
  compression: z.enum(['snappy', 'zstd', 'gzip', 'none']).default('snappy'),
  /** Rows per Parquet row group (also the in-memory batch size per open file). */
  rowGroupSize: z.number().int().positive().default(65_536),
});

export const mongoSinkSchema = z.object({
  kind: z.literal('mongo'),
  /** Defaults to KRANGE_MONGO_URL. */
  url: z.string().optional(),
  database: z.string().min(1),
  collection: z.string().min(1),
  /**
   * Document `_id`; default `<topic>:<partition>:<offset>` (plus `:<n>` for the n-th row of a record),
   * or the row's `_id` when the schema declares one. Several records may map to one `_id`: within a
   * partition the highest offset wins; across partitions the order is not defined.
   */
  id: fn<(row: Row, record: RecordCoordinates) => string | number>('mongo id').optional(),
  /** Documents per bulkWrite. */
  batchSize: z.number().int().positive().default(1000),
  /** Indexes created once: `{ keys: { user_id: 1 }, unique?: boolean, name?: string }`. */
  indexes: z
    .array(
      z.object({
        keys: z.record(z.string(), z.union([z.literal(1), z.literal(-1)])),
        unique: z.boolean().optional(),
        name: z.string().optional(),
      }),
    )
    .default([]),
  /** `majority` (default when the server replicates, else acknowledged) or a number. */
  writeConcern: z.union([z.literal('majority'), z.number().int().min(0)]).optional(),
  retries: z.number().int().min(0).default(5),
});

export const redisSinkSchema = z.object({
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
  ttlSeconds: z.number().int().positive().optional(),
  /** Rows per pipelined round trip. */
  pipelineSize: z.number().int().positive().default(1000),
  /** Retries of a round trip after connection errors, with exponential backoff. */
  retries: z.number().int().min(0).default(5),
  /**
   * Extra ioredis options. Sentinel: `{ sentinels: [{ host, port }], name: 'mymaster' }`. Cluster:
   * `{ cluster: { nodes: [{ host, port }], ...ClusterOptions } }` (the other options apply to each node).
   */
  redisOptions: z.record(z.string(), z.unknown()).optional(),
});

const pgIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a PostgreSQL identifier: letters, digits and _, at most 63');

export const postgresSinkSchema = z
  .strictObject({
    kind: z.literal('postgres'),
    /** `postgres://user:pass@host:port/db`; defaults to KRANGE_PG_URL. */
    url: z.string().optional(),
    /** Table the rows go to; created from the job's schema when missing, checked when present. */
    table: pgIdentifier,
    /** PostgreSQL schema (namespace) of the table and of krange's marker table `krange_loaded_ranges`. */
    schema: pgIdentifier.default('public'),
    /**
     * `append` (default): each record's rows are inserted once, tracked by range markers, no key needed.
     * `upsert`: `INSERT ... ON CONFLICT (key) DO UPDATE` from a staging table; the row of the highest
     * offset wins within a task.
     */
    mode: z.enum(['append', 'upsert']).default('append'),
    /** Key columns for `upsert` (the primary key when krange creates the table). */
    key: z.array(pgIdentifier).min(1).optional(),
    /** Rows per COPY statement. */
    batchSize: z.number().int().positive().default(10_000),
    /** Connection attempts after the first when a task opens, with exponential backoff. */
    retries: z.number().int().min(0).default(5),
  })
  .superRefine((o, ctx) => {
    if (o.mode === 'upsert' && o.key === undefined)
      ctx.addIssue({ code: 'custom', message: "postgres sink: mode 'upsert' needs key: ['column', ...]" });
    if (o.mode === 'append' && o.key !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: "postgres sink: key is used by mode 'upsert' only; set mode: 'upsert'",
      });
  });

/** What `message(row, record)` returns: the record to produce instead of the JSON of the row. */
export interface KafkaMessage {
  key?: string | Buffer | null;
  /** A string or Buffer as it is; anything else is serialized as JSON (bigint kept exact). */
  value: unknown;
  headers?: Record<string, string | Buffer>;
  /** An explicit output partition (overrides the partitioner). */
  partition?: number;
}

export const kafkaSinkSchema = z.strictObject({
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
  /** gzip is built in; snappy, lz4 and zstd need a codec registered in kafkajs's CompressionCodecs by the job. */
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
  /** Records per produce request inside the task's transaction. */
  batchSize: z.number().int().positive().default(5000),
  /** Largest record (key + value + headers) produced; a larger one follows onBadRecord. */
  maxMessageBytes: z.number().int().positive().default(1_000_000),
  /** The broker aborts a transaction left open this long (a killed run); readers wait at most that. */
  transactionTimeout: durationSchema.default(60_000),
});

export const sinkSchema = z.discriminatedUnion('kind', [
  parquetSinkSchema,
  mongoSinkSchema,
  redisSinkSchema,
  postgresSinkSchema,
  kafkaSinkSchema,
]);

export type ParquetSinkSpec = z.infer<typeof parquetSinkSchema>;
export type MongoSinkSpec = z.infer<typeof mongoSinkSchema>;
export type RedisSinkSpec = z.infer<typeof redisSinkSchema>;
export type PostgresSinkSpec = z.infer<typeof postgresSinkSchema>;
export type KafkaSinkSpec = z.infer<typeof kafkaSinkSchema>;
export type SinkSpec = z.infer<typeof sinkSchema>;

const partitionOffsetsSchema = z.record(
  z.string().regex(/^\d+$/),
  z.union([z.number().int().min(-2), z.string().regex(/^-?\d+$/)]),
);

export const startingOffsetsSchema = z.union([
  z.literal('earliest'),
  z.literal('latest'),
  /** `{"topic": {"0": 23, "1": -2}}`: -2 earliest, -1 latest. */
  z.record(z.string(), partitionOffsetsSchema),
  /** The first offset whose timestamp is >= this time (ms or ISO). */
  z.object({ timestamp: z.union([z.number().int(), z.string().datetime({ offset: true })]) }),
]);
export type StartingOffsets = z.infer<typeof startingOffsetsSchema>;

export const badRecordPolicySchema = z.union([
  z.literal('fail'),
  z.literal('skip'),
  z.object({
    deadLetter: z.union([z.object({ topic: z.string().min(1) }), z.object({ path: z.string().min(1) })]),
  }),
]);
export type BadRecordPolicy = z.infer<typeof badRecordPolicySchema>;

export const limitsSchema = z
  .object({
    /** Cap on offsets per iteration, shared by partitions in proportion to their backlog. */
    maxOffsetsPerIteration: z.number().int().positive().optional(),
    /** Ranges longer than this are split into several tasks. */
    maxRecordsPerTask: z.number().int().positive().default(2_000_000),
    /** At least this many tasks (ranges are split to reach it). */
    minTasks: z.number().int().positive().optional(),
    /** Worker threads; default: available parallelism. */
    workers: z.number().int().positive().optional(),
    /** Attempts per task before the iteration fails. */
    taskAttempts: z.number().int().positive().default(3),
    /** Bytes per Kafka fetch request. */
    fetchMaxBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
  })
  .default({ maxRecordsPerTask: 2_000_000, taskAttempts: 3, fetchMaxBytes: 4 * 1024 * 1024 });

export const measureSchema = z.union([
  z.object({ op: z.literal('count') }),
  z.object({ op: z.enum(['sum', 'min', 'max', 'countDistinct']), field: z.string() }),
]);
export type MeasureSpec = z.infer<typeof measureSchema>;

export const aggregateSchema = z.object({
  /** PostgreSQL table for the window rows; default `<job>_agg`. */
  table: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .optional(),
  /** Row fields to group by. */
  groupBy: z.array(z.string()).min(1),
  /** Row field holding event time (timestamp/ms/ISO), or 'kafka' for the record timestamp. */
  eventTime: z.union([z.literal('kafka'), z.object({ field: z.string() })]).default('kafka'),
  /** Window size; with `slide` smaller than size the windows hop. */
  window: z.object({ size: durationSchema, slide: durationSchema.optional() }),
  measures: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), measureSchema),
  allowedLateness: durationSchema.default(60_000),
  /** What happens to events older than the watermark. */
  late: z
    .union([z.literal('drop'), z.object({ deadLetter: z.object({ topic: z.string() }) })])
    .default('drop'),
  flushInterval: durationSchema.default(1000),
  flushRecords: z.number().int().positive().default(50_000),
  /** Consumer group id; default `krange-agg-<job>`. */
  groupId: z.string().optional(),
  /** Defaults to KRANGE_PG_URL. */
  pgUrl: z.string().optional(),
  poolSize: z.number().int().positive().default(4),
  statementTimeout: durationSchema.default(30_000),
});
export type AggregateSpec = z.infer<typeof aggregateSchema>;

export const jobSpecSchema = z.object({
  /** Job name: state lives in `state/<name>/`. */
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'letters, digits, _ . -'),
  description: z.string().optional(),
  /** Topic names, or a RegExp matched against the cluster's topics at plan time. */
  topics: z.union([z.array(z.string().min(1)).min(1), z.instanceof(RegExp)]),
  decoder: z
    .union([
      z.enum(['json', 'string', 'bytes']),
      z.object({ name: z.string(), decode: fn<(value: Buffer | null) => unknown>('decoder.decode') }),
    ])
    .default('json'),
  /** Runs inside the worker: record -> row | rows | null (drop). Default: the decoded value is the row. */
  transform: fn<Transform>('transform').optional(),
  schema: schemaSchema,
  sinks: z.array(sinkSchema).min(1, 'a job needs at least one sink'),
  startingOffsets: startingOffsetsSchema.default('earliest'),
  failOnDataLoss: z.boolean().default(true),
  onBadRecord: badRecordPolicySchema.default('fail'),
  limits: limitsSchema,
  /**
   * Where records are checked against `schema` (after decoder and transform): `job` (default) when
   * the batch job reads them, applying `onBadRecord`; `ingest` also at `krange ingest`, which refuses a
   * record that does not fit with a 4xx naming the record and field, so it never reaches Kafka.
   */
  validateAt: z.enum(['job', 'ingest']).default('job'),
  /** Cron schedule for `krange schedule`. */
  schedule: z.object({ cron: z.string(), timezone: z.string().optional() }).optional(),
  aggregate: aggregateSchema.optional(),
  kafka: z
    .object({
      brokers: z.array(z.string()).optional(),
      clientId: z.string().optional(),
      /** read_committed (default) skips aborted transactional records. */
      isolation: z.enum(['read_committed', 'read_uncommitted']).default('read_committed'),
    })
    .default({ isolation: 'read_committed' }),
});

/** What a job module declares (inputs: defaults may be omitted). */
export type JobInput = z.input<typeof jobSpecSchema> & { schema: Schema };
/** A loaded, validated job. */
export type JobSpec = z.output<typeof jobSpecSchema>;
