// Kafka record batches (message format v2, magic 2) decoded straight into the records a task
// needs, without kafkajs's per-record objects. kafkajs builds, per record, a message object, Long
// objects for the offset and timestamp (turned into decimal strings), Buffer copies of key and
// value and a headers object; in the W1 profile that was 13% of worker time plus a share of GC.
// Here a record is one object over the fetch buffer: key and value become Buffers only when asked
// for, and the JSON decoder reads the value's text straight from the fetch buffer.
//
// Layout (https://kafka.apache.org/documentation/#recordbatch):
//   baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32,
//   attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
//   producerId int64, producerEpoch int16, baseSequence int32, records [Record]
//   Record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   key varint-bytes, value varint-bytes, headers [varint-string key, varint-bytes value]
//
// Read-committed filtering follows the Java consumer (CompletedFetch): a transactional batch is
// dropped when its producer has an aborted transaction starting at or before the batch's last
// offset and no abort marker has closed it yet. Control batches are never records. The broker's
// CRC is not checked (kafkajs does not either; TCP and the broker's own checks cover transport).

import { Errors } from '../errors.ts';
import type { RawRecord } from '../records/record.ts';
import { CODEC_NAMES, decompress } from './compression.ts';

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * A record over the fetch buffer; key and value are sliced out only when read, and the offset
 * becomes a BigInt only when asked for (the JavaScript path needs its decimal text only).
 */
export class FetchedRecord implements RawRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The offset: a number while it is a safe integer (always, in practice), else a bigint. */
    private readonly at: number | bigint,
    readonly timestamp: number,
    readonly headers: Record<string, string>,
    readonly buf: Buffer,
    private readonly keyStart: number,
    private readonly keyLength: number,
    readonly valueStart: number,
    readonly valueLength: number,
  ) {}

  get offset(): bigint {
    const at = this.at;
    return typeof at === 'number' ? BigInt(at) : at;
  }

  /** The offset's decimal text, without a BigInt in between. */
  offsetText(): string {
    return String(this.at);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0
      ? null
      : this.buf.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  /** The value as UTF-8 text, decoded straight from the fetch buffer (no Buffer in between). */
  valueText(): string | null {
    return this.valueLength < 0
      ? null
      : this.buf.toString('utf8', this.valueStart, this.valueStart + this.valueLength);
  }
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface DecodeBatchesOptions {
  topic: string;
  partition: number;
  /** Records below `from` or at/after `end` are left out (a fetch starts at a batch's first record). */
  from: bigint;
  end: bigint;
  readCommitted: boolean;
  /** From the fetch response, for read_committed. */
  abortedTransactions: AbortedTransaction[];
}

export interface DecodedBatches {
  records: FetchedRecord[];
  /**
   * The offset after the last complete batch (control, aborted and compacted-away offsets
   * included), or undefined when the buffer held no complete batch.
   */
  nextOffset: bigint | undefined;
}

const BATCH_HEADER = 61; // baseOffset .. records count
const ATTR_COMPRESSION = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

/** A position in a buffer with the varint readers Kafka's record format needs. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly limit: number,
  ) {}

  /** Zig-zag varint of up to 32 bits. */
  varint(): number {
    const buf = this.buf;
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      if (this.pos >= this.limit) throw new RangeError('varint runs past the record');
      b = buf[this.pos++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    return (v >>> 1) ^ -(v & 1);
  }

  /** Zig-zag varlong, exact within +-2^53 (time deltas). */
  varlong(): number {
    const buf = this.buf;
    let v = 0;
    let mul = 1;
    let b: number;
    do {
      if (this.pos >= this.limit) throw new RangeError('varlong runs past the record');
      b = buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80 && mul <= 2 ** 63);
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
}

/** Decodes the record batches of one partition's `records` field, `buf[start, end)`. */
export async function decodeRecordBatches(
  buf: Buffer,
  start: number,
  end: number,
  o: DecodeBatchesOptions,
): Promise<DecodedBatches> {
  const records: FetchedRecord[] = [];
  let nextOffset: bigint | undefined;
  const aborted = o.readCommitted
    ? [...o.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
    : [];
  let abortedAt = 0;
  const abortedProducers = new Set<bigint>();
  let pos = start;
  while (pos + 12 <= end) {
    const baseOffset = buf.readBigInt64BE(pos);
    const batchLength = buf.readInt32BE(pos + 8);
    const batchEnd = pos + 12 + batchLength;
    // The last batch may be cut short by the fetch's byte limit: it comes again in the next fetch.
    if (batchLength < BATCH_HEADER - 12 || batchEnd > end) break;
    const magic = buf.readInt8(pos + 16);
    if (magic !== 2) {
      throw Errors.kafka(
        `record batch at offset ${baseOffset} uses message format v${magic}; krange reads v2 (Kafka 0.11+). Rewrite the topic with a current producer`,
        { topic: o.topic, partition: o.partition, offset: baseOffset.toString() },
        undefined,
        false,
      );
    }
    const attributes = buf.readInt16BE(pos + 21);
    const lastOffsetDelta = buf.readInt32BE(pos + 23);
    const baseTimestamp = Number(buf.readBigInt64BE(pos + 27));
    const maxTimestamp = Number(buf.readBigInt64BE(pos + 35));
    const producerId = buf.readBigInt64BE(pos + 43);
    const count = buf.readInt32BE(pos + 57);
    const batchNext = baseOffset + BigInt(lastOffsetDelta) + 1n;
    const batchStart = pos;
    pos = batchEnd;
    nextOffset = batchNext;

    if (o.readCommitted && producerId >= 0n) {
      const lastOffset = batchNext - 1n;
      while (abortedAt < aborted.length && aborted[abortedAt]!.firstOffset <= lastOffset) {
        abortedProducers.add(aborted[abortedAt++]!.producerId);
      }
      if (attributes & ATTR_CONTROL) {
        if (isAbortMarker(buf, batchStart + BATCH_HEADER, batchEnd)) abortedProducers.delete(producerId);
      } else if (attributes & ATTR_TRANSACTIONAL && abortedProducers.has(producerId)) {
        continue;
      }
    }
    if (attributes & ATTR_CONTROL || batchNext <= o.from || baseOffset >= o.end) continue;

    let c = new Cursor(buf, batchStart + BATCH_HEADER, batchEnd);
    const codec = attributes & ATTR_COMPRESSION;
    if (codec !== 0) {
      const compressed = buf.subarray(batchStart + BATCH_HEADER, batchEnd);
      let plain: Buffer;
      try {
        plain = await decompress(codec, compressed);
      } catch (err) {
        throw Errors.kafka(
          `cannot decompress the record batch at offset ${baseOffset} (codec ${codecName(codec)}): ${(err as Error).message}. The batch is corrupt or the producer used a codec krange does not know`,
          { topic: o.topic, partition: o.partition, offset: baseOffset.toString() },
          err,
          false,
        );
      }
      c = new Cursor(plain, 0, plain.length);
    }
    const logAppend = (attributes & ATTR_LOG_APPEND_TIME) !== 0;
    try {
      decodeRecords(c, count, baseOffset, logAppend ? maxTimestamp : baseTimestamp, logAppend, o, records);
    } catch (err) {
      throw Errors.kafka(
        `malformed record batch at offset ${baseOffset}: ${(err as Error).message}`,
        { topic: o.topic, partition: o.partition, offset: baseOffset.toString() },
        err,
        true,
      );
    }
  }
  return { records, nextOffset };
}

function decodeRecords(
  c: Cursor,
  count: number,
  baseOffset: bigint,
  baseTimestamp: number,
  logAppendTime: boolean,
  o: DecodeBatchesOptions,
  out: FetchedRecord[],
): void {
  const buf = c.buf;
  // Offsets as numbers while they are exact (always, in practice): no BigInt per record. A number
  // compares with a bigint exactly, but the bounds are made numbers too when they are exact.
  const baseNum = Number(baseOffset);
  const exact = Number.isSafeInteger(baseNum + 2 ** 31);
  const from = asNumberIfSafe(o.from);
  const end = asNumberIfSafe(o.end);
  for (let i = 0; i < count; i++) {
    const length = c.varint();
    const recordEnd = c.pos + length;
    if (length < 0 || recordEnd > c.limit) throw new RangeError(`record ${i} runs past its batch`);
    c.pos++; // attributes (unused)
    const tsDelta = c.varlong();
    const offsetDelta = c.varint();
    const keyLength = c.varint();
    const keyStart = c.pos;
    if (keyLength > 0) c.pos += keyLength;
    const valueLength = c.varint();
    const valueStart = c.pos;
    if (valueLength > 0) c.pos += valueLength;
    const headerCount = c.varint();
    let headers = NO_HEADERS;
    if (headerCount > 0) headers = decodeHeaders(c, headerCount);
    if (c.pos > recordEnd) throw new RangeError(`record ${i} is longer than its length`);
    c.pos = recordEnd;
    const offset = exact ? baseNum + offsetDelta : baseOffset + BigInt(offsetDelta);
    if (offset < from || offset >= end) continue;
    out.push(
      new FetchedRecord(
        o.topic,
        o.partition,
        offset,
        logAppendTime ? baseTimestamp : baseTimestamp + tsDelta,
        headers,
        buf,
        keyStart,
        keyLength,
        valueStart,
        valueLength,
      ),
    );
  }
}

function asNumberIfSafe(x: bigint): number | bigint {
  const n = Number(x);
  return Number.isSafeInteger(n) ? n : x;
}

/** Headers as text; a repeated key keeps every value, comma-joined (as before with kafkajs). */
function decodeHeaders(c: Cursor, count: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let h = 0; h < count; h++) {
    const kl = c.varint();
    const key = c.buf.toString('utf8', c.pos, c.pos + kl);
    c.pos += kl;
    const vl = c.varint();
    if (vl < 0) continue;
    const value = c.buf.toString('utf8', c.pos, c.pos + vl);
    c.pos += vl;
    out[key] = out[key] === undefined ? value : `${out[key]},${value}`;
  }
  return out;
}

function codecName(codec: number): string {
  return CODEC_NAMES[codec] ?? String(codec);
}

/** A control batch's first record key: version int16, type int16 (0 = abort, 1 = commit). */
function isAbortMarker(buf: Buffer, recordsStart: number, batchEnd: number): boolean {
  const c = new Cursor(buf, recordsStart, batchEnd);
  c.varint(); // length
  c.pos++; // attributes
  c.varlong();
  c.varint();
  const keyLength = c.varint();
  return keyLength >= 4 && buf.readInt16BE(c.pos + 2) === 0;
}
