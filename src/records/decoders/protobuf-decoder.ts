// `decoder: protobuf({ registry })`: Confluent-framed Protobuf values (magic byte 0, 4-byte schema
// id, the message-index path of the type within its .proto file, then the message). The .proto
// text comes from the registry by id (once per worker) and is parsed with protobufjs; 64-bit
// integer fields arrive as numbers while exact, else BigInt (as with JSON and Avro); enums as names;
// fields left at their proto3 default are filled in (as Confluent's deserializer does).
// protobufjs is loaded when a job calls protobuf().

import { createRequire } from 'node:module';
import type { Type } from 'protobufjs';
import type { CustomDecoder } from '../../job/job-spec.ts';
import { frameId, frameIds, type RegistryOptions, SchemaRegistryClient, UNKNOWN } from './schema-registry.ts';

const require = createRequire(import.meta.url);

export interface ProtobufOptions {
  /** A Confluent schema registry (URL or options). */
  registry: string | RegistryOptions;
}

const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Reads a zig-zag varint at `pos`; returns [value, next position]. */
function zigzag(buf: Buffer, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  let b: number;
  do {
    if (pos >= buf.length) throw new Error('the message-index path runs past the value');
    b = buf[pos++]!;
    v |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80 && shift < 35);
  return [(v >>> 1) ^ -(v & 1), pos];
}

/** The message-index path after the 5-byte header (a single 0 byte means [0]) and where the body starts. */
export function messageIndexes(value: Buffer): { path: number[]; start: number } {
  let [count, pos] = zigzag(value, 5);
  if (count === 0) return { path: [0], start: pos };
  const path: number[] = [];
  for (; count > 0; count--) {
    const [i, next] = zigzag(value, pos);
    path.push(i);
    pos = next;
  }
  return { path, start: pos };
}

function exactLongs(type: Type, obj: Record<string, unknown>): Record<string, unknown> {
  for (const f of type.fieldsArray) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const conv = (x: unknown): unknown => {
      if (LONGS.has(f.type) && typeof x === 'string') {
        const n = Number(x);
        return Number.isSafeInteger(n) ? n : BigInt(x);
      }
      if (f.resolvedType !== null && 'fieldsArray' in f.resolvedType && typeof x === 'object' && x !== null) {
        return exactLongs(f.resolvedType as Type, x as Record<string, unknown>);
      }
      return x;
    };
    obj[f.name] = Array.isArray(v) ? v.map(conv) : conv(v);
  }
  return obj;
}

export function protobuf(opts: ProtobufOptions): CustomDecoder {
  const pb = require('protobufjs') as typeof import('protobufjs');
  const client = new SchemaRegistryClient(
    typeof opts.registry === 'string' ? { url: opts.registry } : opts.registry,
  );
  // Per id: the messages of the file in declaration order (index 0 = the first top-level message).
  const files = new Map<number, Type[] | Error>();
  const typesOf = (ns: { nestedArray: unknown[] }): Type[] =>
    ns.nestedArray.filter((n): n is Type => n instanceof pb.Type);
  return {
    name: 'protobuf',
    prepare: async (values) => {
      const missing = [...frameIds(values)].filter((id) => !files.has(id));
      await Promise.all(
        missing.map(async (id) => {
          const s = await client.schemaById(id);
          if (s === UNKNOWN)
            files.set(id, new Error(`Protobuf schema id ${id} is not in the schema registry`));
          else if (s.schemaType !== 'PROTOBUF')
            files.set(id, new Error(`schema id ${id} is ${s.schemaType} in the registry, not PROTOBUF`));
          else if (s.references.length > 0)
            files.set(
              id,
              new Error(`schema id ${id} imports other schemas, which krange does not resolve yet`),
            );
          else {
            try {
              const parsed = pb.parse(s.schema, { keepCase: true });
              const ns = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
              files.set(id, typesOf(ns as unknown as { nestedArray: unknown[] }));
            } catch (err) {
              files.set(
                id,
                new Error(`schema id ${id} is not a .proto krange can parse: ${(err as Error).message}`),
              );
            }
          }
        }),
      );
    },
    decode: (value) => {
      if (value === null) return null;
      const id = frameId(value);
      const file = files.get(id);
      if (file === undefined)
        throw new Error(`schema id ${id} was not fetched (the decoder's prepare() did not run)`);
      if (file instanceof Error) throw file;
      const { path, start } = messageIndexes(value);
      let types = file;
      let type: Type | undefined;
      for (const i of path) {
        type = types[i];
        if (type === undefined)
          throw new Error(`message index path [${path.join(', ')}] names no message of schema id ${id}`);
        types = typesOf(type as unknown as { nestedArray: unknown[] });
      }
      const t = type!;
      const msg = t.decode(value.subarray(start));
      return exactLongs(
        t,
        t.toObject(msg, { longs: String, enums: String, bytes: Buffer, defaults: true }) as Record<
          string,
          unknown
        >,
      );
    },
  };
}
