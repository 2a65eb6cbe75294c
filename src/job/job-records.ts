// The values a job's functions see: the decoded record the transform gets, the row it returns, and
// a row's coordinates as sink functions (the Mongo sink's `id`) see them.

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
  /**
   * Called with a batch's values before any of them is decoded, so decode() can stay synchronous
   * (e.g. fetching schemas from a registry). A throw fails the batch (a KrangeError's `retriable`
   * decides whether the task is retried).
   */
  prepare?: (values: (Buffer | null)[]) => Promise<void>;
}
