// krange's public API: defineJob() is the user's door. Job modules import this file in the driver
// and in every worker thread, so it loads only what a job definition needs; the runtime entry
// points below load their modules on first call.

import type { AggregatorOptions } from './aggregator/aggregator.ts';
import type { StatusRow } from './aggregator/status.ts';
import type { IterationOutcome, RunOptions } from './batch/run-iteration.ts';
import type { LoadedJob } from './job/job-loader.ts';
import type { StartingOffsets } from './job/job-spec.ts';
import type { OffsetsFile } from './state/state-store.ts';

export type { AggregatorOptions, FlushInfo } from './aggregator/aggregator.ts';
export type { StatusRow } from './aggregator/status.ts';
export type { IterationOutcome, RunOptions } from './batch/run-iteration.ts';
export type { ErrorCode, SerializedError } from './errors.ts';
export { ERROR_CODES, Errors, isKrangeError, KrangeError } from './errors.ts';
export { defineJob } from './job/define-job.ts';
export type { LoadedJob } from './job/job-loader.ts';
export type {
  AggregateSpec,
  BadRecordPolicy,
  DecodedRecord,
  JobInput,
  JobSpec,
  KafkaMessage,
  KafkaSinkSpec,
  MongoSinkSpec,
  ParquetSinkSpec,
  PostgresSinkSpec,
  RecordCoordinates,
  RedisSinkSpec,
  Row,
  SinkSpec,
  StartingOffsets,
  Transform,
} from './job/job-spec.ts';
export type { FieldType, Schema } from './job/schema.ts';
export { t } from './job/schema.ts';
export type { SchemaOrigin, SchemaSource } from './job/schema-source.ts';
export type { OffsetRange } from './offset-range.ts';
export type { AvroOptions, AvroSchemaSource } from './records/decoders/avro-decoder.ts';
export { avro } from './records/decoders/avro-decoder.ts';
export type { JsonSchemaOptions } from './records/decoders/json-schema-decoder.ts';
export { jsonSchema } from './records/decoders/json-schema-decoder.ts';
export type { ProtobufOptions } from './records/decoders/protobuf-decoder.ts';
export { protobuf } from './records/decoders/protobuf-decoder.ts';
export type { RegistryOptions } from './records/decoders/schema-registry.ts';
export type { FromAvroSchemaOptions, FromRegistryOptions } from './records/derived-schema.ts';
export { fromAvroSchema, fromRegistry } from './records/derived-schema.ts';
export { hdfsParquet, kafka, mongo, parquet, postgres, redis } from './sinks/sink-specs.ts';

/** Loads and validates a job module (a name in ./jobs or a path). */
export async function loadJob(nameOrPath: string): Promise<LoadedJob> {
  return (await import('./job/job-loader.ts')).loadJob(nameOrPath);
}

/** Runs one iteration of a job (an uncommitted plan is re-run first). */
export async function runIteration(job: LoadedJob, opts: RunOptions): Promise<IterationOutcome> {
  return (await import('./batch/run-iteration.ts')).runIteration(job, opts);
}

/** Re-processes the saved plan of iteration n; the committed position does not move. */
export async function rerunIteration(job: LoadedJob, n: number, opts: RunOptions): Promise<IterationOutcome> {
  return (await import('./batch/run-iteration.ts')).rerunIteration(job, n, opts);
}

/** Sets where the next iteration begins. */
export async function resetJob(
  job: LoadedJob,
  target: StartingOffsets,
  opts: Parameters<typeof import('./batch/reset-job.ts').resetJob>[2],
): Promise<OffsetsFile> {
  return (await import('./batch/reset-job.ts')).resetJob(job, target, opts);
}

/** Runs the streaming aggregator until its signal aborts. */
export async function runAggregator(opts: AggregatorOptions): Promise<void> {
  return (await import('./aggregator/aggregator.ts')).runAggregator(opts);
}

/** Stored aggregator offsets against Kafka's high watermarks. */
export async function aggregatorStatus(job: LoadedJob): Promise<StatusRow[]> {
  return (await import('./aggregator/status.ts')).aggregatorStatus(job);
}
