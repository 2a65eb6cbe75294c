// The pure half of the Redis sink: key templates (`user:{user_id}`, `{topic}:{partition}:{offset}`),
// the schema-checked row as Redis strings (JSON that survives bigint), hash fields for `hset`, and
// which errors are worth a retry.

import type { KeyTemplate } from '../../job/key-template.ts';
import type { FieldType, Schema } from '../../job/schema.ts';
import { formatTimestamp } from '../../records/time.ts';
import type { SinkRow } from '../sink.ts';

/** A row field the key template or valueField needs is missing or null. */
export class MissingField extends Error {
  constructor(readonly field: string) {
    super(`the row has no value for '${field}'`);
  }
}

/** A scalar as it appears in a key or a hash field. */
export function scalarString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return toJson(v);
}

/** A checked value as Redis stores it: timestamps as ISO-8601 UTC text with their unit's precision. */
function redisScalar(v: unknown, ft: FieldType): unknown {
  if (v === null) return null;
  if (ft.kind === 'timestamp') return formatTimestamp(v as number | bigint, ft.unit);
  if (ft.kind === 'list') return (v as unknown[]).map((x) => redisScalar(x, ft.item));
  return v;
}

/**
 * What the sink writes for a row: the schema's fields with their checked values (SinkRow.values),
 * so fields outside the schema are not written and every value has its declared type.
 */
export function checkedObject(schema: Schema): (values: unknown[]) => Record<string, unknown> {
  const fields = Object.entries(schema);
  return (values) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const [name, ft] = fields[i]!;
      out[name] = redisScalar(values[i], ft);
    }
    return out;
  };
}

/**
 * Renders the key of a row. A placeholder takes the row's field of that name when the row has one;
 * otherwise `{topic}`, `{partition}` and `{offset}` are the record's Kafka coordinates.
 */
export function renderKey(
  t: KeyTemplate,
  row: Record<string, unknown>,
  r: Pick<SinkRow, 'topic' | 'partition' | 'offset'>,
): string {
  let key = '';
  for (const p of t.parts) {
    if ('literal' in p) {
      key += p.literal;
      continue;
    }
    const name = p.field;
    if (Object.hasOwn(row, name)) {
      const v = row[name];
      if (v === null || v === undefined) throw new MissingField(name);
      key += scalarString(v);
    } else if (name === 'topic') key += r.topic;
    else if (name === 'partition') key += String(r.partition);
    else if (name === 'offset') key += r.offset.toString();
    else throw new MissingField(name);
  }
  return key;
}

const bigintReplacer = (_k: string, x: unknown): unknown => (typeof x === 'bigint' ? x.toString() : x);

/**
 * JSON that writes bigints as decimal strings instead of throwing. Plain JSON.stringify first: a
 * replacer is called for every key and value and keeps V8 off its fast path (1.23 against 2.11 µs
 * per demo row, bench/experiments/redis-tojson.ts); only a value holding a bigint (TypeError)
 * pays for it.
 */
export function toJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(v, bigintReplacer) ?? 'null';
  }
}

/** The string stored by `set` and `latest`: the row as JSON, or its valueField (strings as they are). */
export function redisValue(row: Record<string, unknown>, valueField: string | undefined): string | Buffer {
  if (valueField === undefined) return toJson(row);
  const v = row[valueField];
  if (v === null || v === undefined) throw new MissingField(valueField);
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  return toJson(v);
}

/** `hset`: the row's fields as strings; null fields are listed for HDEL, so the hash mirrors the row. */
export function hashFields(row: Record<string, unknown>): { set: string[]; del: string[] } {
  const set: string[] = [];
  const del: string[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) del.push(k);
    else set.push(k, scalarString(v));
  }
  return { set, del };
}

/** Reply errors that a retry may fix: loading, failover, cluster resharding, a busy script. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;
const TRANSIENT_NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN|Connection is closed|Stream isn't writeable|max retries per request|Command timed out|connect ETIMEDOUT|Socket closed/i;

export function isTransientRedisError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return TRANSIENT_REPLY.test(err.message) || TRANSIENT_NETWORK.test(err.message);
}

/** WRONGTYPE: the key exists with another type: the record cannot be written there. */
export function isRejection(err: unknown): boolean {
  return err instanceof Error && /^WRONGTYPE\b/.test(err.message);
}

export interface ReplyOutcome<O> {
  /** Owners refused for the first time in this flush (a retry does not report them again). */
  rejected: { owner: O; err: Error }[];
  /** The first transient error: the round trip is retried whole. */
  transient: Error | undefined;
  /** `latest` writes the server skipped as older than what it holds. */
  stale: number;
}

/**
 * Sorts a pipeline's replies. A command refused by the server (WRONGTYPE) is reported once per
 * owning row across all retries of a flush (`alreadyRejected` carries them over); any other
 * non-transient error is thrown.
 */
export function classifyReplies<O>(
  replies: [Error | null, unknown][],
  owners: O[],
  isLatest: (i: number) => boolean,
  alreadyRejected: Set<O>,
): ReplyOutcome<O> {
  const out: ReplyOutcome<O> = { rejected: [], transient: undefined, stale: 0 };
  for (let i = 0; i < replies.length; i++) {
    const [err, reply] = replies[i]!;
    if (err === null) {
      if (isLatest(i) && reply === 0) out.stale++;
      continue;
    }
    if (isRejection(err)) {
      const owner = owners[i]!;
      if (!alreadyRejected.has(owner)) {
        alreadyRejected.add(owner);
        out.rejected.push({ owner, err });
      }
      continue;
    }
    if (!isTransientRedisError(err)) throw err;
    out.transient ??= err;
  }
  return out;
}
