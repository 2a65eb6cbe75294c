// `decoder: avro({...})`: Avro values, either bare (one schema for the topic) or Confluent-framed
// (magic byte 0, 4-byte big-endian schema id, then the Avro body) with writer schemas by id from
// files. A writer schema that differs from the job's reader schema is resolved by Avro's rules
// (avsc createResolver: added fields with defaults, removed fields, promotions); an incompatible
// one, an unknown id or a malformed body makes the record bad, with the fields or the id named.
// avsc is loaded when a job calls avro(), so other jobs never load it.

import { createRequire } from 'node:module';
import type { Schema as AvroSchema, Resolver, Type } from 'avsc';
import type { CustomDecoder } from '../../job/job-spec.ts';
import { type AvroSchemaSource, loadAvroSchema } from './avro-schema-file.ts';
import { frameId, frameIds, type RegistryOptions, SchemaRegistryClient, UNKNOWN } from './schema-registry.ts';

export type { AvroSchemaSource } from './avro-schema-file.ts';

const require = createRequire(import.meta.url);

export interface AvroOptions {
  /**
   * The reader schema (the job's). Alone: values are bare Avro written with this schema. With
   * `schemas`: what every writer schema is resolved to (default: the schema of the highest id).
   */
  schema?: AvroSchemaSource;
  /** Writer schemas by Confluent schema id: values are framed (magic byte 0 + 4-byte id). */
  schemas?: Record<number, AvroSchemaSource>;
  /**
   * A Confluent schema registry (URL or options): framed values' writer schemas are fetched by id,
   * once per worker. Without `schema` each value is read with its own writer schema.
   */
  registry?: string | RegistryOptions;
}

type Avsc = typeof import('avsc');

// Avro longs as numbers while exact, else BigInt (as the json decoder does beyond 2^53).
function exactLongType(avsc: Avsc): Type {
  return avsc.types.LongType.__with({
    fromBuffer: (buf: Buffer) => {
      const b = buf.readBigInt64LE(0);
      const n = Number(b);
      return Number.isSafeInteger(n) ? n : b;
    },
    toBuffer: (v: number | bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt(v));
      return buf;
    },
    fromJSON: (v: number | bigint) => v,
    toJSON: (v: number | bigint) => Number(v),
    isValid: (v: unknown) => typeof v === 'bigint' || Number.isSafeInteger(v),
    compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

const TIMESTAMP_LOGICAL_TYPES = {
  'timestamp-millis': false,
  'local-timestamp-millis': false,
  'timestamp-micros': true,
  'local-timestamp-micros': true,
  'timestamp-nanos': true,
  'local-timestamp-nanos': true,
} as const;

/**
 * Avro's timestamp logical types read through the exact long: millis as number (BigInt beyond 2^53),
 * micros and nanos always as BigInt, which a `timestamp('us'|'ns')` field takes in its own unit (a
 * plain number would be read as milliseconds). Avro says to ignore a logical type on another type:
 * avsc then falls back to the underlying type, as it does when the constructor throws.
 */
type LogicalTypeClass = new (
  schema: AvroSchema,
  opts?: unknown,
) => InstanceType<Avsc['types']['LogicalType']>;

function timestampLogicalTypes(avsc: Avsc, long: Type): Record<string, LogicalTypeClass> {
  const out: Record<string, LogicalTypeClass> = {};
  for (const [name, big] of Object.entries(TIMESTAMP_LOGICAL_TYPES)) {
    out[name] = class extends avsc.types.LogicalType {
      constructor(schema: AvroSchema, opts?: unknown) {
        super(schema, opts);
        if ((schema as { type?: unknown }).type !== 'long') throw new Error(`${name} annotates a long`);
        // The underlying type avsc made is its own long (numbers only, refusing beyond 2^53).
        (this as unknown as { _underlyingType: Type })._underlyingType = long;
      }
      protected override _fromValue(v: number | bigint): number | bigint {
        if (big) return BigInt(v);
        return typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
      }
      protected override _toValue(v: unknown): number | bigint | undefined {
        return typeof v === 'bigint' || Number.isSafeInteger(v) ? (v as number | bigint) : undefined;
      }
      protected override _resolve(writer: Type): ((v: number | bigint) => number | bigint) | undefined {
        const base = writer.typeName.startsWith('logical:')
          ? (writer as unknown as { underlyingType: Type }).underlyingType.typeName
          : writer.typeName;
        return ['long', 'abstract:long', 'int'].includes(base) ? (v) => this._fromValue(v) : undefined;
      }
    };
  }
  return out;
}

interface RecordField {
  name: string;
  type: Type;
  defaultValue(): unknown;
}

function fieldsOf(t: Type): RecordField[] {
  const f = (t as unknown as { fields?: RecordField[] }).fields;
  return Array.isArray(f) ? f : [];
}

/** Why a writer schema cannot be read as the reader's: the fields at fault, by name. */
export function incompatibility(writer: Type, reader: Type): string {
  const wf = new Map(fieldsOf(writer).map((f) => [f.name, f]));
  const problems: string[] = [];
  for (const r of fieldsOf(reader)) {
    const w = wf.get(r.name);
    if (w === undefined) {
      if (r.defaultValue() === undefined) problems.push(`'${r.name}' is missing and has no default`);
      continue;
    }
    try {
      r.type.createResolver(w.type);
    } catch {
      problems.push(`'${r.name}' is ${w.type.typeName} in the writer, ${r.type.typeName} in the reader`);
    }
  }
  return problems.length > 0
    ? problems.join('; ')
    : `'${writer.name ?? writer.typeName}' cannot be read as '${reader.name ?? reader.typeName}'`;
}

/** A decoder of Avro values for `decoder:` in a job. */
export function avro(opts: AvroOptions): CustomDecoder {
  const avsc = require('avsc') as Avsc;
  const registry: Record<string, Type> = {};
  const long = exactLongType(avsc);
  const logicalTypes = timestampLogicalTypes(avsc, long);
  const typeOf = (src: AvroSchemaSource) =>
    avsc.Type.forSchema(loadAvroSchema(src), {
      registry: { ...registry, long },
      logicalTypes,
      wrapUnions: 'auto',
    });

  if (opts.registry !== undefined) {
    if (opts.schemas !== undefined) throw new Error('avro() takes `schemas` or `registry`, not both');
    return registryAvro(typeOf, opts.registry, opts.schema);
  }
  if (opts.schemas === undefined) {
    if (opts.schema === undefined)
      throw new Error('avro() needs `schema`, `schemas`, `registry`, or `schema` with one of them');
    const type = typeOf(opts.schema);
    return {
      name: 'avro',
      decode: (value) => {
        if (value === null) return null;
        return type.fromBuffer(value);
      },
    };
  }

  const writers = new Map<number, Type>();
  for (const [id, src] of Object.entries(opts.schemas)) writers.set(Number(id), typeOf(src));
  if (writers.size === 0) throw new Error('avro({ schemas }) lists no schema');
  const highest = Math.max(...writers.keys());
  const reader = opts.schema === undefined ? writers.get(highest)! : typeOf(opts.schema);
  const known = [...writers.keys()].sort((a, b) => a - b).join(', ');
  // Resolvers are built on first use of an id and kept: the same incompatibility is reported as
  // the same error without resolving again.
  const resolvers = new Map<number, Resolver | Error>();

  function resolverFor(id: number): Resolver {
    let r = resolvers.get(id);
    if (r === undefined) {
      const writer = writers.get(id);
      r =
        writer === undefined
          ? new Error(`Avro schema id ${id} is not among avro({ schemas }) (known ids: ${known})`)
          : resolveWriter(writer, reader, id);
      resolvers.set(id, r);
    }
    if (r instanceof Error) throw r;
    return r;
  }

  return {
    name: 'avro',
    decode: (value) => {
      if (value === null) return null;
      const id = frameId(value);
      return reader.fromBuffer(value.subarray(5), resolverFor(id));
    },
  };
}

function resolveWriter(writer: Type, reader: Type, id: number): Resolver | Error {
  try {
    return reader.createResolver(writer);
  } catch {
    return new Error(
      `writer schema id ${id} cannot be read with the job's reader schema: ${incompatibility(writer, reader)}`,
    );
  }
}

/** Writer schemas from a registry: prepare() fetches a batch's new ids, decode() stays synchronous. */
function registryAvro(
  typeOf: (src: AvroSchemaSource) => Type,
  registry: string | RegistryOptions,
  readerSource: AvroSchemaSource | undefined,
): CustomDecoder {
  const client = new SchemaRegistryClient(typeof registry === 'string' ? { url: registry } : registry);
  const reader = readerSource === undefined ? undefined : typeOf(readerSource);
  const ready = new Map<number, { type: Type; resolver?: Resolver } | Error>();
  return {
    name: 'avro',
    prepare: async (values) => {
      const missing = [...frameIds(values)].filter((id) => !ready.has(id));
      await Promise.all(
        missing.map(async (id) => {
          const s = await client.schemaById(id);
          if (s === UNKNOWN) {
            ready.set(id, new Error(`Avro schema id ${id} is not in the schema registry`));
            return;
          }
          if (s.schemaType !== 'AVRO') {
            ready.set(id, new Error(`schema id ${id} is ${s.schemaType} in the registry, not AVRO`));
            return;
          }
          if (s.references.length > 0) {
            ready.set(
              id,
              new Error(`schema id ${id} has schema references, which krange does not resolve yet`),
            );
            return;
          }
          const type = typeOf(JSON.parse(s.schema) as AvroSchema);
          if (reader === undefined) ready.set(id, { type });
          else {
            const r = resolveWriter(type, reader, id);
            ready.set(id, r instanceof Error ? r : { type: reader, resolver: r });
          }
        }),
      );
    },
    decode: (value) => {
      if (value === null) return null;
      const id = frameId(value);
      const w = ready.get(id);
      if (w === undefined)
        throw new Error(`schema id ${id} was not fetched (the decoder's prepare() did not run)`);
      if (w instanceof Error) throw w;
      return w.type.fromBuffer(value.subarray(5), w.resolver);
    },
  };
}
