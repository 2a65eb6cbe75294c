// One Kafka record -> rows for the sinks: decode, transform, check against the schema. Any failure
// becomes a BadRecord naming topic, partition, offset, the field and the reason; the caller applies
// the job's onBadRecord policy. Runs inside the worker threads.

import { decoderFor, type RecordDecode } from './decoders.ts';
import type { DecodedRecord, JobSpec, Row, Transform } from './job/job-spec.ts';
import { FieldError, RowBatcher } from './parquet/arrow-columns.ts';
import type { SinkRow } from './sinks/sink.ts';

/** A Kafka record as read from the broker. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** The value as UTF-8 text, straight from the fetch buffer (see kafka/record-batch.ts). */
  valueText?(): string | null;
}

export interface BadRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Where it failed; `sink` means a sink's server refused the row (see TaskContext.reject). */
  stage: 'decode' | 'transform' | 'schema' | 'sink';
  field?: string;
  reason: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type Processed = { ok: true; rows: SinkRow[] } | { ok: false; bad: BadRecord };

/** Built only when a record fails: a closure per record would cost an allocation (and, under tsx, a __name call) on the hot path. */
function badRecord(
  r: RawRecord,
  offset: string,
  stage: BadRecord['stage'],
  reason: string,
  field?: string,
): Processed {
  return {
    ok: false,
    bad: {
      topic: r.topic,
      partition: r.partition,
      offset,
      stage,
      reason,
      key: r.key,
      value: r.value,
      ...(field === undefined ? {} : { field }),
    },
  };
}

export class RecordProcessor {
  private readonly decode: RecordDecode;
  private readonly transform: Transform | undefined;
  private readonly checker: RowBatcher;

  constructor(spec: JobSpec) {
    this.decode = decoderFor(spec.decoder);
    this.transform = spec.transform;
    this.checker = new RowBatcher(spec.schema);
  }

  process(r: RawRecord): Processed {
    const offset = r.offset.toString();
    let value: unknown;
    try {
      value = this.decode(r);
    } catch (err) {
      return badRecord(r, offset, 'decode', `cannot decode value: ${(err as Error).message}`);
    }
    const record: DecodedRecord = {
      topic: r.topic,
      partition: r.partition,
      offset,
      timestamp: r.timestamp,
      key: r.key,
      value,
      headers: r.headers,
    };
    let out: Row | Row[] | null | undefined;
    try {
      out = this.transform ? this.transform(record) : (value as Row);
    } catch (err) {
      return badRecord(r, offset, 'transform', `transform threw: ${(err as Error).message}`);
    }
    if (out === null || out === undefined) return { ok: true, rows: [] };
    const list = Array.isArray(out) ? out : [out];
    const rows: SinkRow[] = [];
    for (let seq = 0; seq < list.length; seq++) {
      const row = list[seq];
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        return badRecord(
          r,
          offset,
          'transform',
          `transform returned ${row === null ? 'null' : typeof row} instead of a row object`,
        );
      }
      try {
        rows.push({
          row,
          values: this.checker.coerce(row),
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
          timestamp: r.timestamp,
          seq,
        });
      } catch (err) {
        if (err instanceof FieldError)
          return badRecord(
            r,
            offset,
            'schema',
            `value does not fit the schema: '${err.field}' ${err.message}`,
            err.field,
          );
        throw err;
      }
    }
    return { ok: true, rows };
  }
}
