// The streaming aggregate of a job (`krange aggregate`): windows, group-by fields, measures, late
// data and how it writes into PostgreSQL.

import { z } from 'zod';
import { deadLetterCompressionSchema } from './bad-record-policy.ts';
import { durationSchema } from './duration.ts';
import { options } from './strict-options.ts';

export const measureSchema = z.union([
  options({
    /** Rows in the window. */
    op: z.literal('count'),
  }),
  options({
    /** `sum`, `min`, `max` of a field, or the exact `countDistinct` of its values. */
    op: z.enum(['sum', 'min', 'max', 'countDistinct']),
    /** Row field the measure reads. */
    field: z.string(),
  }),
]);
export type MeasureSpec = z.infer<typeof measureSchema>;

const windowSchema = options({
  /** Window length. */
  size: durationSchema,
  /** Hop; smaller than `size` makes overlapping windows. Default: `size` (tumbling). */
  slide: durationSchema.optional(),
});

const lateSchema = z
  .union([
    z.literal('drop'),
    options({
      /** Late events go to this Kafka topic (must exist). */
      deadLetter: options({
        /** Dead-letter topic name. */
        topic: z.string(),
        /** Compression of the batches written there; default none. */
        compression: deadLetterCompressionSchema,
      }),
    }),
  ])
  .default('drop');

/** `aggregate.emit`: closed windows produced to a Kafka topic, once each (aggregator/window-emitter.ts). */
export const emitSchema = options({
  /** Output topic; it must exist (create it with the partitions and retention you want). */
  topic: z.string().min(1),
  /**
   * Record key: `groupBy` (default) the JSON object of the group-by values, so one group's windows
   * stay in order on one partition; `window` the same plus `window_start` (one key per window row,
   * for compacted topics); `none` no key (records spread round-robin).
   */
  key: z.enum(['groupBy', 'window', 'none']).default('groupBy'),
  /**
   * Record value: `flat` (default) `{window_start, window_end, <groupBy>..., <measure>...}`;
   * `nested` `{window: {start, end}, group: {...}, measures: {...}}`. Times are ISO-8601 UTC; sums
   * are exact JSON numbers; a countDistinct gives its count (its set stays in PostgreSQL).
   */
  value: z.enum(['flat', 'nested']).default('flat'),
  /** Codec of the produced batches; all four are built in (src/kafka/compression.ts). */
  compression: deadLetterCompressionSchema,
  /** The broker aborts an emit transaction left open this long (a killed emitter); readers wait at most that. */
  transactionTimeout: durationSchema.default(60_000),
});
export type EmitSpec = z.infer<typeof emitSchema>;

export const aggregateSchema = options({
  /** PostgreSQL table for the window rows; default `<job>_agg`. */
  table: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .optional(),
  /** Row fields to group by. */
  groupBy: z.array(z.string()).min(1),
  /** Row field holding event time (timestamp/ms/ISO), or 'kafka' for the record timestamp. */
  eventTime: z
    .union([
      z.literal('kafka'),
      options({
        /** Row field holding event time. */
        field: z.string(),
      }),
    ])
    .default('kafka'),
  /** Window size; with `slide` smaller than size the windows hop. */
  window: windowSchema,
  /** Named measures, one set of columns each: `{ clicks: { op: 'count' }, revenue: { op: 'sum', field: 'price' } }`. */
  measures: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), measureSchema),
  /** How far behind a partition's highest event time an event may still be merged. */
  allowedLateness: durationSchema.default(60_000),
  /** What happens to events older than the watermark. */
  late: lateSchema,
  /** Upsert into PostgreSQL at least this often. */
  flushInterval: durationSchema.default(1000),
  /** ... or after this many records, whichever comes first. */
  flushRecords: z.number().int().positive().default(50_000),
  /** Consumer group id; default `krange-agg-<job>`. */
  groupId: z.string().optional(),
  /** Defaults to KRANGE_PG_URL. */
  pgUrl: z.string().optional(),
  /** PostgreSQL connections. */
  poolSize: z.number().int().positive().default(4),
  /** PostgreSQL statement_timeout of the flush transactions. */
  statementTimeout: durationSchema.default(30_000),
  /** Also produce every closed window (end at or before the watermark) to a Kafka topic, exactly once. */
  emit: emitSchema.optional(),
});
export type AggregateSpec = z.infer<typeof aggregateSchema>;
