// The pure half of the Kafka sink: a row becomes the record to produce (the JSON of the row keyed
// by a row field, or what the job's `message(row, record)` returns), with a `krange-source` header
// naming the source record (`topic/partition/offset`), so a downstream reader can trace and check
// every produced record; and the consumer-group names that mark a range as produced.

import type { KafkaMessage, KafkaSinkSpec } from '../../job/job-spec.ts';
import type { SinkRow } from '../sink.ts';

export const SOURCE_HEADER = 'krange-source';

export interface OutMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
  partition?: number;
}

const BIG = '\uE000krange-int64:';
const BIG_RE = /"\uE000krange-int64:(-?\d+)"/g;

/** JSON with bigints written as exact numbers (int64 beyond 2^53 stays exact for readers that keep it). */
export function jsonExact(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${BIG}${x}` : x)) ?? 'null';
    return text.replace(BIG_RE, '$1');
  }
}

function keyText(v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return jsonExact(v);
}

function valueText(v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  return jsonExact(v);
}

/** The record for a row. `partitions`: the output topic's partition count (for `source`). */
export function buildMessage(spec: KafkaSinkSpec, r: SinkRow, partitions: number): OutMessage {
  const source = `${r.topic}/${r.partition}/${r.offset}`;
  let out: OutMessage;
  if (spec.message !== undefined) {
    const m: KafkaMessage = spec.message(r.row, {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset.toString(),
      timestamp: r.timestamp,
      seq: r.seq,
    });
    if (m === null || typeof m !== 'object' || !('value' in m))
      throw new Error('message() must return an object with a value ({ key?, value, headers?, partition? })');
    out = { key: keyText(m.key), value: valueText(m.value), headers: { ...m.headers } };
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= partitions)
        throw new Error(`message() chose partition ${m.partition}; topic '${spec.topic}' has ${partitions}`);
      out.partition = m.partition;
    }
  } else {
    out = {
      key: spec.key === undefined ? null : keyText(r.row[spec.key]),
      value: jsonExact(r.row),
      headers: {},
    };
  }
  out.headers[SOURCE_HEADER] = source;
  if (out.partition === undefined && spec.partitioner === 'source') out.partition = r.partition % partitions;
  return out;
}

function size(v: string | Buffer | null): number {
  return v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Bytes of key, value and headers: what counts against the broker's max.message.bytes. */
export function messageBytes(m: OutMessage): number {
  let n = size(m.key) + size(m.value);
  for (const [k, v] of Object.entries(m.headers)) n += Buffer.byteLength(k) + size(v);
  return n;
}

/**
 * The consumer group whose committed offset marks `[begin, end)` of a source partition as produced
 * by this job to this topic: committed (offset = end) inside the range's own Kafka transaction.
 */
export function markerGroupPrefix(job: string, outTopic: string, topic: string, partition: number): string {
  return `krange-sink.${job}.${outTopic}.${topic}.${partition}.`;
}

export function markerGroup(
  job: string,
  outTopic: string,
  topic: string,
  partition: number,
  begin: bigint,
  end: bigint,
): string {
  return `${markerGroupPrefix(job, outTopic, topic, partition)}${begin}-${end}`;
}

/** The range a marker group names, or undefined for another group. */
export function parseMarkerGroup(
  prefix: string,
  groupId: string,
): { begin: bigint; end: bigint } | undefined {
  if (!groupId.startsWith(prefix)) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(groupId.slice(prefix.length));
  if (m === null) return undefined;
  return { begin: BigInt(m[1]!), end: BigInt(m[2]!) };
}

/** One transactional id per task range: a new attempt of the task fences the previous one. */
export function transactionalId(
  job: string,
  outTopic: string,
  topic: string,
  partition: number,
  begin: bigint,
): string {
  return `krange.${job}.${outTopic}.${topic}.${partition}.${begin}`;
}
