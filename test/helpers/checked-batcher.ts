// Rows checked by the schema contract (records/coerce.ts) and appended to Arrow columns
// (sinks/parquet/arrow-columns.ts), as the record processor and the Parquet sink do together.
import type { Schema } from '../../src/job/schema.ts';
import { RowChecker } from '../../src/records/coerce.ts';
import { RowBatcher } from '../../src/sinks/parquet/arrow-columns.ts';

export class CheckedBatcher {
  private readonly checker: RowChecker;
  private readonly batcher: RowBatcher;

  constructor(schema: Schema) {
    this.checker = new RowChecker(schema);
    this.batcher = new RowBatcher(schema);
  }

  get rows(): number {
    return this.batcher.rows;
  }

  coerce(row: Record<string, unknown>): unknown[] {
    return this.checker.check(row);
  }

  /** Checks and appends a row, or throws FieldError and appends nothing. */
  append(row: Record<string, unknown>): void {
    this.batcher.push(this.checker.check(row));
  }

  flush() {
    return this.batcher.flush();
  }
}
