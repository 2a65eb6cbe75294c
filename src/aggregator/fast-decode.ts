// The aggregator's fast decoding of a record: for a job the byte scanner can serve (json decoder,
// `columns` or no transform: records/fast-path.ts), the value's bytes go through field-scanner.ts
// and the schema check straight to checked values, without JSON.parse's object, the row object or
// a CheckedRow. Whatever it cannot vouch for (the scanner declines, or a value fails the schema
// check) is given back, and the caller runs the record through RecordProcessor as before, so bad
// records keep their exact outcome and message.

import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { FieldError, RowChecker } from '../records/coerce.ts';
import { fastPathRefusal, filterFor } from '../records/fast-path.ts';
import { DECLINE, FieldScanner, type ScannedRecord } from './field-scanner.ts';

export { DECLINE };

/** Why the aggregator reads a job's records with JSON.parse, or undefined when it scans them. */
export function fastDecodeRefusal(spec: JobSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['KRANGE_AGG_FAST_DECODE'] === '0') return 'KRANGE_AGG_FAST_DECODE=0';
  return fastPathRefusal(spec);
}

export interface Decoding {
  /** Set when the job's records are scanned. */
  fast: FastDecode | undefined;
  /** How the records are read, for the start-up log line. */
  line: string;
}

/** How the aggregator reads the job's records (the environment is read once, here). */
export function decodingOf(spec: JobSpec, plan: AggregatePlan): Decoding {
  const refusal = fastDecodeRefusal(spec);
  return refusal === undefined
    ? { fast: new FastDecode(spec, plan), line: 'byte scanner (fields the aggregate reads)' }
    : { fast: undefined, line: `JSON.parse (${refusal})` };
}

/** The schema fields whose values the aggregate or the job's `where` use. */
export function fieldsRead(spec: JobSpec, plan: AggregatePlan): Set<string> {
  const read = new Set<string>(plan.groupBy.map((g) => g.column));
  if (plan.eventTime.kind === 'field') read.add(plan.eventTime.field);
  for (const m of plan.measures) if (m.field !== undefined) read.add(m.field);
  for (const f of Object.keys(spec.where ?? {})) read.add(f);
  return read;
}

export class FastDecode {
  private readonly scanner: FieldScanner;
  private readonly checker: RowChecker;
  private readonly keep: ((raw: unknown[]) => boolean) | undefined;

  constructor(spec: JobSpec, plan: AggregatePlan) {
    this.scanner = new FieldScanner(spec, fieldsRead(spec, plan));
    this.checker = new RowChecker(spec.schema);
    this.keep = filterFor(spec);
  }

  /**
   * The record's checked values in schema order, null when the job's `where` drops it, or DECLINE
   * (the caller then processes it on the JSON.parse path). Unread text fields hold '' or [].
   */
  values(
    buf: Buffer,
    start: number,
    end: number,
    r: ScannedRecord,
    offset: string,
  ): unknown[] | null | typeof DECLINE {
    const raw = this.scanner.scan(buf, start, end, r, offset);
    if (raw === DECLINE) return DECLINE;
    if (this.keep !== undefined && !this.keep(raw)) return null;
    try {
      return this.checker.checkValues(raw);
    } catch (err) {
      // The JSON.parse path names the field and the value exactly as it always has.
      if (err instanceof FieldError) return DECLINE;
      throw err;
    }
  }
}
