// The records layer's vocabulary, shared by the batch worker, the aggregator and the Kafka reader: a
// record as read (RawRecord), one that failed (BadRecord), and a row checked against the schema
// (CheckedRow), which is what every sink receives.

/** A Kafka record as read from the broker. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** The offset's decimal text, when the reader can give it without a BigInt (kafka/record-batch.ts). */
  offsetText?(): string;
  /** The value as UTF-8 text, straight from the fetch buffer (see kafka/record-batch.ts). */
  valueText?(): string | null;
  /** The buffer the value lies in, with its start and length (-1: null), for the fast path. */
  readonly buf?: Buffer;
  readonly valueStart?: number;
  readonly valueLength?: number;
}

export interface BadRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Where it failed; `sink` means a sink's server refused the row (see TaskContext.reject). */
  stage: 'decode' | 'transform' | 'schema' | 'sink';
  /** With stage `sink`: the sink that refused the row (it stays in the job's other sinks). */
  sink?: string;
  field?: string;
  reason: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** A row on its way to the sinks, with the Kafka coordinates of the record it came from. */
export interface CheckedRow {
  /** The transform's output, as the user wrote it (for the Mongo sink's id() and dead letters). */
  row: Record<string, unknown>;
  /**
   * The same row checked against the schema (records/coerce.ts): values in schema field order.
   * int64 and timestamp (s, ms) values are numbers when they are safe integers and bigints
   * otherwise; us/ns timestamps are bigints; null is null. Sinks write these, not `row`.
   */
  values: unknown[];
  topic: string;
  partition: number;
  offset: bigint;
  /** Kafka record timestamp (ms). */
  timestamp: number;
  /** n-th row produced by this record (a transform may return several). */
  seq: number;
}
