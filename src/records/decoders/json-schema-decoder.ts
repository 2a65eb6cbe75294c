// `decoder: jsonSchema({ registry })`: Confluent-framed JSON values (magic byte 0, 4-byte schema
// id, then the JSON text) whose ids are checked against a schema registry (a JSON schema by that
// id must exist, fetched once per worker); the text is parsed like `decoder: 'json'` (integers
// beyond 2^53 exact). The JSON Schema itself is not enforced: the job's schema checks the row.

import type { CustomDecoder } from '../../job/job-spec.ts';
import { parseJsonExact } from '../exact-json.ts';
import { frameId, frameIds, type RegistryOptions, SchemaRegistryClient, UNKNOWN } from './schema-registry.ts';

export interface JsonSchemaOptions {
  /** A Confluent schema registry (URL or options). */
  registry: string | RegistryOptions;
}

export function jsonSchema(opts: JsonSchemaOptions): CustomDecoder {
  const client = new SchemaRegistryClient(
    typeof opts.registry === 'string' ? { url: opts.registry } : opts.registry,
  );
  const known = new Map<number, Error | true>();
  return {
    name: 'jsonSchema',
    prepare: async (values) => {
      const missing = [...frameIds(values)].filter((id) => !known.has(id));
      await Promise.all(
        missing.map(async (id) => {
          const s = await client.schemaById(id);
          if (s === UNKNOWN) known.set(id, new Error(`JSON schema id ${id} is not in the schema registry`));
          else if (s.schemaType !== 'JSON')
            known.set(id, new Error(`schema id ${id} is ${s.schemaType} in the registry, not JSON`));
          else known.set(id, true);
        }),
      );
    },
    decode: (value) => {
      if (value === null) return null;
      const id = frameId(value);
      const k = known.get(id);
      if (k === undefined)
        throw new Error(`schema id ${id} was not fetched (the decoder's prepare() did not run)`);
      if (k instanceof Error) throw k;
      return parseJsonExact(value.toString('utf8', 5));
    },
  };
}
