// The Fetch response (versions 4 to 11, the ones kafkajs can ask for) read down to one partition's
// header and the position of its record bytes, which record-batch.ts then decodes in place.
// https://kafka.apache.org/protocol#The_Messages_Fetch
//
//   v4:     throttle_time_ms [topic [partition error_code high_watermark last_stable_offset
//           [aborted_transactions] records]]
//   v5-v6:  + log_start_offset after last_stable_offset
//   v7-v10: + error_code session_id after throttle_time_ms
//   v11:    + preferred_read_replica after aborted_transactions

import type { AbortedTransaction } from './record-batch.ts';

export interface FetchedPartitionHeader {
  /** The response's top-level error (v7+), else the partition's. 0 when all is well. */
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  abortedTransactions: AbortedTransaction[];
  /** The partition's record bytes: payload[recordsStart, recordsEnd). */
  recordsStart: number;
  recordsEnd: number;
}

export const FETCH_MIN_VERSION = 4;
export const FETCH_MAX_VERSION = 11;

/**
 * Finds `topic`/`partition` in a Fetch response payload (after the correlation id). Returns
 * undefined when the response does not mention it.
 */
export function readFetchResponse(
  payload: Buffer,
  version: number,
  topic: string,
  partition: number,
): FetchedPartitionHeader | undefined {
  if (version < FETCH_MIN_VERSION || version > FETCH_MAX_VERSION) {
    throw new RangeError(`Fetch v${version} is not supported (v${FETCH_MIN_VERSION}-v${FETCH_MAX_VERSION})`);
  }
  let pos = 4; // throttle_time_ms
  let topError = 0;
  if (version >= 7) {
    topError = payload.readInt16BE(pos);
    pos += 2 + 4; // error_code, session_id
  }
  const topics = payload.readInt32BE(pos);
  pos += 4;
  for (let t = 0; t < topics; t++) {
    const nameLength = payload.readInt16BE(pos);
    pos += 2;
    const name = payload.toString('utf8', pos, pos + nameLength);
    pos += nameLength;
    const partitions = payload.readInt32BE(pos);
    pos += 4;
    for (let p = 0; p < partitions; p++) {
      const id = payload.readInt32BE(pos);
      const errorCode = payload.readInt16BE(pos + 4);
      const highWatermark = payload.readBigInt64BE(pos + 6);
      const lastStableOffset = payload.readBigInt64BE(pos + 14);
      pos += 22;
      if (version >= 5) pos += 8; // log_start_offset
      const abortedCount = payload.readInt32BE(pos);
      pos += 4;
      const abortedTransactions: AbortedTransaction[] = [];
      for (let a = 0; a < abortedCount; a++) {
        abortedTransactions.push({
          producerId: payload.readBigInt64BE(pos),
          firstOffset: payload.readBigInt64BE(pos + 8),
        });
        pos += 16;
      }
      if (version >= 11) pos += 4; // preferred_read_replica
      const recordsLength = payload.readInt32BE(pos);
      pos += 4;
      const recordsStart = pos;
      const recordsEnd = Math.min(payload.length, pos + Math.max(0, recordsLength));
      pos = recordsEnd;
      if (name === topic && id === partition) {
        return {
          errorCode: topError !== 0 ? topError : errorCode,
          highWatermark,
          lastStableOffset,
          abortedTransactions,
          recordsStart,
          recordsEnd,
        };
      }
    }
  }
  return topError !== 0
    ? {
        errorCode: topError,
        highWatermark: -1n,
        lastStableOffset: -1n,
        abortedTransactions: [],
        recordsStart: 0,
        recordsEnd: 0,
      }
    : undefined;
}
