// A job's `schema` may be a source to derive it from (records/derived-schema.ts: fromRegistry,
// fromAvroSchema) instead of columns written with t.*: resolved once, when the job is loaded
// (job-loader.ts), which the driver then hands to its workers. This is the vocabulary the loader
// needs; the sources themselves live above, beside the registry client they use.

import type { Schema } from './schema.ts';

/** Where a derived schema came from: shown by `krange plan`. */
export interface SchemaOrigin {
  /** `registry subject 'clicks-value' version 3 (id 12) at http://...`, or `Avro schema file ...`. */
  text: string;
  subject?: string;
  version?: number;
  id?: number;
  file?: string;
}

export interface ResolvedSchema {
  schema: Schema;
  origin: SchemaOrigin;
}

/** A schema to derive when the job is loaded; what fromRegistry() and fromAvroSchema() return. */
export interface SchemaSource {
  readonly kind: 'krange-schema-source';
  /** For messages: `fromRegistry('clicks-value')`. */
  readonly label: string;
  /** Fetches (or reads) the Avro schema and maps it; `where` is the job file, for messages. */
  resolve(where: string): Promise<ResolvedSchema>;
}

export function isSchemaSource(v: unknown): v is SchemaSource {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'krange-schema-source';
}
