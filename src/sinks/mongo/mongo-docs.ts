// The pure half of the Mongo sink: document `_id`s, rows -> BSON-ready documents (typed by the job
// schema), the target label for commit files, and which driver errors are worth a retry.

import { Long, MongoError, MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { RecordCoordinates, Row } from '../../job/job-spec.ts';
import type { FieldType, Schema } from '../../job/schema.ts';
import type { SinkRow } from '../sink.ts';

export type MongoId = string | number;

export interface MongoDoc {
  _id: MongoId;
  [field: string]: unknown;
}

export type IdFn = (row: Row, record: RecordCoordinates) => MongoId;

/** `<topic>:<partition>:<offset>`, plus `:<seq>` for the second and later rows of one record. */
export function defaultMongoId(r: Pick<SinkRow, 'topic' | 'partition' | 'offset' | 'seq'>): string {
  const base = `${r.topic}:${r.partition}:${r.offset}`;
  return r.seq > 0 ? `${base}:${r.seq}` : base;
}

export function coordinates(r: SinkRow): RecordCoordinates {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset.toString(),
    timestamp: r.timestamp,
    seq: r.seq,
  };
}

/** The `_id` of a row: the job's id(), else a schema field named `_id`, else the default. */
export function mongoId(r: SinkRow, idFn: IdFn | undefined, idField: number): MongoId {
  if (idFn !== undefined) {
    const id = idFn(r.row, coordinates(r));
    if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return id;
    throw new Error(`the mongo sink's id() returned ${typeof id}, expected a string or a finite number`);
  }
  if (idField >= 0) {
    const v = r.values[idField];
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    throw new Error("the schema's '_id' field is null");
  }
  return defaultMongoId(r);
}

const UNIT_MS = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 } as const;

/**
 * A schema-checked value as Mongo should store it: int64 as a number when it is a safe integer, else
 * a BSON Long (so it stays exact); timestamps as Date (millisecond precision: BSON dates are ms).
 */
export function toMongoValue(v: unknown, ft: FieldType): unknown {
  if (v === null || v === undefined) return null;
  switch (ft.kind) {
    case 'int64': {
      const b = v as bigint;
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(b)
        : Long.fromBigInt(b);
    }
    case 'timestamp': {
      const n = v as bigint;
      if (ft.unit === 's' || ft.unit === 'ms') return new Date(Number(n) * UNIT_MS[ft.unit]);
      const perMs = ft.unit === 'us' ? 1000n : 1_000_000n;
      // Floor division, so instants before 1970 round down like the other units.
      const q = n / perMs;
      return new Date(Number(n % perMs < 0n ? q - 1n : q));
    }
    case 'list':
      return (v as unknown[]).map((x) => toMongoValue(x, ft.item));
    default:
      return v;
  }
}

/** Builds the documents of a schema: returns a function row -> document. */
export function documentBuilder(schema: Schema, idFn: IdFn | undefined): (r: SinkRow) => MongoDoc {
  const fields = Object.entries(schema);
  const idField = fields.findIndex(([name]) => name === '_id');
  return (r) => {
    const doc: MongoDoc = { _id: mongoId(r, idFn, idField) };
    for (let i = 0; i < fields.length; i++) {
      const [name, ft] = fields[i]!;
      if (i === idField) continue;
      doc[name] = toMongoValue(r.values[i], ft);
    }
    return doc;
  };
}

/** `mongodb://host[:port][,host...]/<db>.<collection>`, credentials and options left out. */
export function mongoTarget(url: string, database: string, collection: string): string {
  const m = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/.exec(url);
  const scheme = m?.[1] ?? 'mongodb';
  const hosts = m?.[2] ?? '';
  return `${scheme}://${hosts}/${database}.${collection}`;
}

/** Server error codes that mean "try again": elections, shutdowns, network trouble, timeouts. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  64, // WriteConcernFailed (wtimeout)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

function codeOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** A whole-command failure (not a per-document write error) that a retry may fix. */
export function isTransientMongoError(err: unknown): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (
    err instanceof MongoError &&
    (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('ResetPool'))
  )
    return true;
  const code = codeOf(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const msg = err instanceof Error ? err.message : '';
  return /interrupted|not (writable )?primary|connection (pool|.*closed)|ECONNRESET|ECONNREFUSED|EPIPE/i.test(
    msg,
  );
}

/**
 * A per-document error of a replaceOne upsert that a retry may fix. E11000 on the `_id_` index is a
 * race between two upserts creating the same `_id` (a job id() mapping records of two partitions to
 * one document): the retry finds the document and replaces it. E11000 on another unique index is a
 * real conflict (FerretDB names no index: a conflict too).
 */
export function isTransientWriteError(code: number | undefined, message: string): boolean {
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  if (code === 11000) return /index: _id_ /.test(message);
  return /interrupted/i.test(message);
}
