// krange's public API: defineJob() is the user's door; the rest is for jobs and embedders.

export type { ErrorCode, SerializedError } from './errors.ts';
export { ERROR_CODES, Errors, isKrangeError, KrangeError } from './errors.ts';
export type { IterationOutcome, RunOptions } from './iteration.ts';
export { rerunIteration, resetJob, runIteration } from './iteration.ts';
export { defineJob } from './job/define-job.ts';
export { loadJob } from './job/job-loader.ts';
export type {
  AggregateSpec,
  BadRecordPolicy,
  DecodedRecord,
  JobInput,
  JobSpec,
  MongoSinkSpec,
  ParquetSinkSpec,
  RedisSinkSpec,
  Row,
  SinkSpec,
  StartingOffsets,
  Transform,
} from './job/job-spec.ts';
export type { FieldType, Schema } from './job/schema.ts';
export { t } from './job/schema.ts';
export type { OffsetRange } from './offset-range.ts';
export { hdfsParquet, mongo, redis } from './sinks/sink-specs.ts';
export { StateStore } from './state-store.ts';
