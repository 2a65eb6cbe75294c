// The declarative transform: where each schema field comes from, so krange knows the transform
// without running JavaScript per record (and can read JSON values straight from their bytes).

import { z } from 'zod';
import { options } from './strict-options.ts';

/** Kafka record metadata a column can take. */
export const KAFKA_COLUMNS = ['topic', 'partition', 'offset', 'timestamp', 'key'] as const;
export type KafkaColumn = (typeof KAFKA_COLUMNS)[number];

export const columnSourceSchema = z.union([
  /** The value's top-level field of this name (a rename: `user: 'user_id'`). */
  z.string().min(1),
  options({
    /**
     * Record metadata: `partition` (number), `offset` (exact decimal string), `timestamp` (ms),
     * `topic`, `key` (UTF-8 text or null).
     */
    kafka: z.enum(KAFKA_COLUMNS),
  }),
]);
export type ColumnSource = z.infer<typeof columnSourceSchema>;

/**
 * Per schema field, where its value comes from; a schema field not named here takes the value's
 * field of the same name. Instead of `transform`, not beside it.
 */
export const columnsSchema = z.record(z.string(), columnSourceSchema);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type FilterScalar = z.infer<typeof scalar>;

export const conditionSchema = z.union([
  /** Equal to this value (`country: 'US'`, `referrer: null`). */
  scalar,
  /** One of these values. */
  options({
    /** The values a record's field may equal (at least one). */
    in: z.array(scalar).min(1),
  }),
  /** Anything but this value (`referrer: { not: null }`). */
  options({
    /** The value a record's field must not equal. */
    not: scalar,
  }),
]);
export type Condition = z.infer<typeof conditionSchema>;

/**
 * Keeps a record only when every condition holds, per schema field, on the value as read (before
 * the schema check): `{ country: { in: ['US', 'DE'] }, referrer: { not: null } }`. A missing field
 * counts as null. With `columns` (or no transform), not with a JavaScript transform.
 */
export const whereSchema = z.record(z.string(), conditionSchema);
