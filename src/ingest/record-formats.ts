// Request records of both REST Proxy versions turned into Kafka records, or a problem naming the
// record's index and field. Pure: no Kafka, no HTTP. v3: `{partition_id, headers, key: {type,
// data}, value: {type, data}, timestamp}` with type BINARY (base64), STRING or JSON (the default).
// v2: `{records: [{key, value, partition}]}` whose keys and values are JSON (json embedded format) or
// base64 (binary).

import type { OutRecord } from './batching-producer.ts';
import type { RecordProblem } from './rest-errors.ts';

export type DataType = 'BINARY' | 'JSON' | 'STRING';
export interface DataInfo {
  type: DataType;
  size: number;
}

export type Parsed =
  | { ok: true; rec: OutRecord; key: DataInfo | null; value: DataInfo | null }
  | { ok: false; problem: RecordProblem };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(index: number, field: string, reason: string, status: RecordProblem['status'] = 400): Parsed {
  return { ok: false, problem: { index, field, reason, status } };
}

/** base64 text -> bytes, or undefined when it is not strict base64. */
export function fromBase64(s: string): Buffer | undefined {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : undefined;
}

function v3Data(
  index: number,
  field: 'key' | 'value',
  raw: unknown,
): { ok: true; bytes: Buffer | null; info: DataInfo | null } | { ok: false; parsed: Parsed } {
  if (raw === undefined || raw === null) return { ok: true, bytes: null, info: null };
  if (!isObject(raw))
    return { ok: false, parsed: bad(index, field, 'must be an object {"type": ..., "data": ...}') };
  for (const k of ['schema_id', 'schema_version', 'subject', 'subject_name_strategy', 'schema']) {
    if (raw[k] !== undefined && raw[k] !== null)
      return {
        ok: false,
        parsed: bad(index, `${field}.${k}`, 'schemas are not supported; use type BINARY, JSON or STRING'),
      };
  }
  const type = raw['type'] ?? 'JSON';
  const data = raw['data'];
  if (type !== 'BINARY' && type !== 'JSON' && type !== 'STRING')
    return {
      ok: false,
      parsed: bad(index, `${field}.type`, `must be BINARY, JSON or STRING, got ${JSON.stringify(type)}`),
    };
  if (data === undefined && type !== 'JSON')
    return { ok: false, parsed: bad(index, `${field}.data`, 'is missing') };
  let bytes: Buffer | null;
  if (type === 'JSON') bytes = data === undefined || data === null ? null : Buffer.from(JSON.stringify(data));
  else if (typeof data !== 'string')
    return { ok: false, parsed: bad(index, `${field}.data`, `must be a string for type ${type}`) };
  else if (type === 'STRING') bytes = Buffer.from(data, 'utf8');
  else {
    const b = fromBase64(data);
    if (b === undefined) return { ok: false, parsed: bad(index, `${field}.data`, 'is not valid base64') };
    bytes = b;
  }
  return { ok: true, bytes, info: bytes === null ? null : { type, size: bytes.length } };
}

export function parseV3Record(raw: unknown, index: number, topic: string, now: number): Parsed {
  if (!isObject(raw)) return bad(index, '(record)', 'must be a JSON object');
  const partition = raw['partition_id'];
  if (
    partition !== undefined &&
    partition !== null &&
    !(Number.isInteger(partition) && (partition as number) >= 0)
  )
    return bad(index, 'partition_id', 'must be a whole number >= 0');
  let timestamp = now;
  const ts = raw['timestamp'];
  if (ts !== undefined && ts !== null) {
    timestamp = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
    if (!Number.isFinite(timestamp) || timestamp < 0)
      return bad(index, 'timestamp', 'must be an ISO-8601 date-time like 2021-02-05T19:14:42Z');
  }
  let headers: Record<string, Buffer> | undefined;
  const hs = raw['headers'];
  if (hs !== undefined && hs !== null) {
    if (!Array.isArray(hs)) return bad(index, 'headers', 'must be an array of {"name", "value"}');
    headers = {};
    for (let i = 0; i < hs.length; i++) {
      const h: unknown = hs[i];
      if (!isObject(h) || typeof h['name'] !== 'string' || h['name'] === '')
        return bad(index, `headers[${i}].name`, 'must be a non-empty string');
      const v = h['value'];
      if (v === undefined || v === null) headers[h['name']] = Buffer.alloc(0);
      else {
        const b = typeof v === 'string' ? fromBase64(v) : undefined;
        if (b === undefined) return bad(index, `headers[${i}].value`, 'must be base64 text or null');
        headers[h['name']] = b;
      }
    }
  }
  const key = v3Data(index, 'key', raw['key']);
  if (!key.ok) return key.parsed;
  const value = v3Data(index, 'value', raw['value']);
  if (!value.ok) return value.parsed;
  return {
    ok: true,
    rec: {
      topic,
      partition: partition === undefined || partition === null ? undefined : (partition as number),
      key: key.bytes,
      value: value.bytes,
      headers,
      timestamp,
    },
    key: key.info,
    value: value.info,
  };
}

export type V2Format = 'json' | 'binary';

/** v2 body -> records, or a request-level reason (the body is not `{records: [...]}`) or per-record problems. */
export function parseV2Body(
  body: unknown,
  format: V2Format,
  topic: string,
  now: number,
):
  | { ok: true; records: OutRecord[] }
  | { ok: false; reason: string }
  | { ok: false; problems: RecordProblem[] } {
  if (!isObject(body)) return { ok: false, reason: 'the body must be a JSON object {"records": [...]}' };
  for (const k of ['key_schema', 'value_schema', 'key_schema_id', 'value_schema_id']) {
    if (body[k] !== undefined && body[k] !== null)
      return {
        ok: false,
        reason: `'${k}': schemas are not supported; use the json or binary embedded format`,
      };
  }
  const records = body['records'];
  if (!Array.isArray(records)) return { ok: false, reason: "'records' must be an array" };
  const out: OutRecord[] = [];
  const problems: RecordProblem[] = [];
  const encode = (i: number, field: string, v: unknown): Buffer | null | undefined => {
    if (v === undefined || v === null) return null;
    if (format === 'json') return Buffer.from(JSON.stringify(v));
    const b = typeof v === 'string' ? fromBase64(v) : undefined;
    if (b === undefined)
      problems.push({ index: i, field, reason: 'must be base64 text (binary format)', status: 400 });
    return b;
  };
  records.forEach((r: unknown, i) => {
    if (!isObject(r)) {
      problems.push({ index: i, field: `records[${i}]`, reason: 'must be a JSON object', status: 400 });
      return;
    }
    const p = r['partition'];
    if (p !== undefined && p !== null && !(Number.isInteger(p) && (p as number) >= 0)) {
      problems.push({
        index: i,
        field: `records[${i}].partition`,
        reason: 'must be a whole number >= 0',
        status: 400,
      });
      return;
    }
    const key = encode(i, `records[${i}].key`, r['key']);
    const value = encode(i, `records[${i}].value`, r['value']);
    if (key === undefined || value === undefined) return;
    out.push({
      topic,
      partition: p === undefined || p === null ? undefined : (p as number),
      key,
      value,
      timestamp: now,
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, records: out };
}
