// `schema: fromRegistry({...})` and `schema: fromAvroSchema(file)`: a job's output schema derived
// from an Avro record schema (job/schema-from-avro.ts) instead of written a second time with t.*.
// Resolved once, when the job is loaded (job-loader.ts); the driver hands the result to its workers,
// so the registry is asked once per loading process, not per worker. An unreachable registry is a
// retriable KRANGE_SCHEMA_REGISTRY error; a type that has no column type is a KRANGE_CONFIG error
// naming the subject (or file) and every field at fault.

import { createRequire } from 'node:module';
import { Errors, isKrangeError, KrangeError } from '../errors.ts';
import type { Schema } from '../job/schema.ts';
import { schemaFromAvro } from '../job/schema-from-avro.ts';
import type { ResolvedSchema, SchemaOrigin, SchemaSource } from '../job/schema-source.ts';
import { type AvroSchemaSource, loadAvroSchema } from './decoders/avro-schema-file.ts';
import { type RegistryOptions, SchemaRegistryClient } from './decoders/schema-registry.ts';

const require = createRequire(import.meta.url);

interface Fetched {
  avro: unknown;
  origin: SchemaOrigin;
}

export interface FromRegistryOptions {
  /** The registry: a URL, or `{ url, headers, timeoutMs }` as for `avro({ registry })`. */
  registry: string | RegistryOptions;
  /** The subject, e.g. `clicks-value` (the default TopicNameStrategy names it `<topic>-value`). */
  subject: string;
  /**
   * The subject's version; default `latest`, read at every job load: pin a number so that a newly
   * registered version does not change the columns between two iterations.
   */
  version?: number | 'latest';
  /** Columns added to the derived ones, or replacing a derived field's type (also one krange cannot map). */
  fields?: Schema;
}

export interface FromAvroSchemaOptions {
  /** Columns added to the derived ones, or replacing a derived field's type (also one krange cannot map). */
  fields?: Schema;
}

function mapped(fetched: Fetched, fields: Schema | undefined, label: string, where: string): ResolvedSchema {
  try {
    (require('avsc') as typeof import('avsc')).Type.forSchema(fetched.avro as never, {
      wrapUnions: 'auto',
    });
  } catch (err) {
    throw Errors.config(
      `${where}: schema: ${label}: ${fetched.origin.text} is not a valid Avro schema: ${(err as Error).message}`,
      { file: where },
    );
  }
  const { schema, problems } = schemaFromAvro(fetched.avro, fields);
  if (problems.length > 0) {
    throw Errors.config(
      `${where}: schema: ${label}: ${fetched.origin.text} has fields krange cannot write as columns:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        `\n  Type such a field yourself with ${label.replace(/\(.*$/, '')}({ ..., fields: { <name>: t.utf8() } }), or write the schema with t.*`,
      { file: where, ...(fetched.origin.subject === undefined ? {} : { subject: fetched.origin.subject }) },
    );
  }
  return { schema, origin: fetched.origin };
}

/**
 * The job's output schema from an Avro record registered under `subject` in a Confluent schema
 * registry (`GET /subjects/{subject}/versions/{version}`), fetched once when the job is loaded.
 */
export function fromRegistry(opts: FromRegistryOptions): SchemaSource {
  const version = opts.version ?? 'latest';
  const label = `fromRegistry('${opts.subject}')`;
  const registry = typeof opts.registry === 'string' ? { url: opts.registry } : opts.registry;
  return {
    kind: 'krange-schema-source',
    label,
    resolve: async (where) => {
      const client = new SchemaRegistryClient(registry);
      let found: Awaited<ReturnType<SchemaRegistryClient['subjectVersion']>>;
      try {
        found = await client.subjectVersion(opts.subject, version);
      } catch (err) {
        if (!isKrangeError(err)) throw err;
        throw new KrangeError(
          err.code,
          `${where}: schema: ${label}: ${err.message.replace(/; the task is retried$/, '')}` +
            (err.retriable ? '; the job was not loaded: retry once the registry answers' : ''),
          { retriable: err.retriable, details: { ...err.details, file: where }, cause: err },
        );
      }
      const text = `registry subject '${opts.subject}' version ${found.version} (schema id ${found.id}) at ${registry.url}`;
      if (found.schemaType !== 'AVRO') {
        throw Errors.config(
          `${where}: schema: ${label}: ${text} is a ${found.schemaType} schema; only Avro records can be derived (write the schema with t.*)`,
          { file: where, subject: opts.subject },
        );
      }
      if (found.references.length > 0) {
        throw Errors.config(
          `${where}: schema: ${label}: ${text} has schema references, which krange does not resolve yet (write the schema with t.*)`,
          { file: where, subject: opts.subject },
        );
      }
      let avro: unknown;
      try {
        avro = JSON.parse(found.schema);
      } catch (err) {
        throw Errors.config(`${where}: schema: ${label}: ${text} is not JSON: ${(err as Error).message}`, {
          file: where,
          subject: opts.subject,
        });
      }
      return mapped(
        {
          avro,
          origin: { text, subject: opts.subject, version: found.version, id: found.id },
        },
        opts.fields,
        label,
        where,
      );
    },
  };
}

/**
 * The job's output schema from an Avro record schema: an object, or the path of an `.avsc` file
 * (relative to the working directory) or a `new URL('./x.avsc', import.meta.url)`. Read when the
 * job is loaded.
 */
export function fromAvroSchema(source: AvroSchemaSource, opts: FromAvroSchemaOptions = {}): SchemaSource {
  const file = typeof source === 'string' ? source : source instanceof URL ? source.pathname : undefined;
  const label = `fromAvroSchema(${file === undefined ? '{...}' : `'${file}'`})`;
  return {
    kind: 'krange-schema-source',
    label,
    resolve: async (where) => {
      let avro: unknown;
      try {
        avro = loadAvroSchema(source);
      } catch (err) {
        throw Errors.config(
          `${where}: schema: ${label}: ${(err as Error).message.replace(/^avro\(\): /, '')}`,
          {
            file: where,
          },
        );
      }
      const text = file === undefined ? 'the Avro schema' : `Avro schema file ${file}`;
      return mapped(
        { avro, origin: { text, ...(file === undefined ? {} : { file }) } },
        opts.fields,
        label,
        where,
      );
    },
  };
}
