// Options of the MongoDB sink (`mongo({...})`): target collection, document ids, indexes and the
// write concern of its idempotent bulk upserts.

import { z } from 'zod';
import type { RecordCoordinates, Row } from '../job-records.ts';
import { fn, options } from './strict-options.ts';

const indexSchema = options({
  /** Index keys: `{ user_id: 1, ts: -1 }`. */
  keys: z.record(z.string(), z.union([z.literal(1), z.literal(-1)])),
  /** A unique index (a row that breaks it is a bad record). */
  unique: z.boolean().optional(),
  /** Index name; default MongoDB's `<field>_<dir>_...`. */
  name: z.string().optional(),
});

export const mongoSinkSchema = options({
  /** Set by `mongo()`. */
  kind: z.literal('mongo'),
  /** Defaults to KRANGE_MONGO_URL. */
  url: z.string().optional(),
  /** Database name. */
  database: z.string().min(1),
  /** Collection name. */
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
  indexes: z.array(indexSchema).default([]),
  /** `majority` (default when the server replicates, else acknowledged) or a number. */
  writeConcern: z.union([z.literal('majority'), z.number().int().min(0)]).optional(),
  /** At most this many retries of a bulkWrite after retriable errors (backoff with jitter), within the job's `retry.budgetMs`. */
  retries: z.number().int().min(0).default(5),
});
export type MongoSinkSpec = z.infer<typeof mongoSinkSchema>;
