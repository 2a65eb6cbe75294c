// An Avro schema given in a job: an object, or the path (or file URL) of an `.avsc` file read when
// the decoder or the derived schema (fromAvroSchema) is built.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Schema as AvroSchema } from 'avsc';

/** A schema as JSON text's object, or the path (or file URL) of an `.avsc` file. */
export type AvroSchemaSource = AvroSchema | string | URL;

/** A schema given as an object, or read from its `.avsc` file (a path or file URL). */
export function loadAvroSchema(src: AvroSchemaSource): AvroSchema {
  if (typeof src !== 'string' && !(src instanceof URL)) return src;
  const path = src instanceof URL ? fileURLToPath(src) : isAbsolute(src) ? src : resolve(src);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AvroSchema;
  } catch (err) {
    throw new Error(`avro(): cannot read the schema file ${path}: ${(err as Error).message}`);
  }
}
