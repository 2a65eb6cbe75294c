// An Avro record schema as krange's output schema (pure): each top-level field becomes a column.
// long -> int64, int -> int32, float/double -> float64, string/enum/uuid -> utf8, boolean -> bool,
// timestamp-millis/-micros/-nanos -> timestamp (UTC; local-timestamp-* without a zone), arrays ->
// lists, a union of null and one type -> that type, nullable. Types with no krange column type are
// refused with the field named: nested records and maps (no struct or map column), bytes and fixed
// (no binary column), decimal, date, time-* and duration (no such column type; their values would
// be written as bare numbers whose meaning is lost), and unions of two or more non-null types (a
// column has one type). Such a field can be typed by hand in `fields`, which also adds columns.

import type { FieldType, Schema, TimeUnit } from './schema.ts';
import { t } from './schema.ts';

type AvroNode = string | AvroNode[] | { [k: string]: unknown };

/** Named types (records, enums, fixed) by full name, as the schema defines them in order. */
type Names = Map<string, { [k: string]: unknown }>;

const TIMESTAMPS: Record<string, { unit: TimeUnit; zone: 'UTC' | null }> = {
  'timestamp-millis': { unit: 'ms', zone: 'UTC' },
  'timestamp-micros': { unit: 'us', zone: 'UTC' },
  'timestamp-nanos': { unit: 'ns', zone: 'UTC' },
  'local-timestamp-millis': { unit: 'ms', zone: null },
  'local-timestamp-micros': { unit: 'us', zone: null },
  'local-timestamp-nanos': { unit: 'ns', zone: null },
};

/** Logical types krange refuses, with why; keyed by logicalType. */
const REFUSED_LOGICAL: Record<string, string> = {
  decimal: 'krange has no decimal column type (a double would round it)',
  date: 'krange has no date column type (the value is a day count)',
  'time-millis': 'krange has no time-of-day column type',
  'time-micros': 'krange has no time-of-day column type',
  duration: 'krange has no duration column type',
};

class Refused extends Error {}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || namespace === undefined || namespace === '' ? name : `${namespace}.${name}`;
}

function describe(node: AvroNode): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return `union [${node.map(describe).join(', ')}]`;
  const lt = typeof node['logicalType'] === 'string' ? ` (${node['logicalType']})` : '';
  return `${String(node['type'])}${lt}`;
}

function mapType(node: AvroNode, names: Names, ns: string | undefined): FieldType {
  if (typeof node === 'string') {
    switch (node) {
      case 'boolean':
        return t.bool();
      case 'int':
        return t.int32();
      case 'long':
        return t.int64();
      case 'float':
      case 'double':
        return t.float64();
      case 'string':
        return t.utf8();
      case 'null':
        throw new Refused('a null-only type holds no value');
      case 'bytes':
        throw new Refused('bytes: krange has no binary column type');
    }
    const named = names.get(fullName(node, ns)) ?? names.get(node);
    if (named === undefined) throw new Refused(`unknown type name '${node}'`);
    return mapType(named as AvroNode, names, ns);
  }
  if (Array.isArray(node)) {
    const nonNull = node.filter((b) => b !== 'null');
    if (nonNull.length === 1) {
      const inner = mapType(nonNull[0]!, names, ns);
      return nonNull.length < node.length ? t.nullable(inner) : inner;
    }
    if (nonNull.length === 0) throw new Refused('a union of null only holds no value');
    throw new Refused(
      `${describe(node)}: a column has one type, and this union has ${nonNull.length} non-null branches`,
    );
  }
  const type = node['type'];
  const logical = typeof node['logicalType'] === 'string' ? node['logicalType'] : undefined;
  const own = typeof node['namespace'] === 'string' ? node['namespace'] : ns;
  if (typeof node['name'] === 'string' && ['record', 'error', 'enum', 'fixed'].includes(String(type))) {
    const name = fullName(node['name'], own);
    names.set(name, node);
    names.set(node['name'], node);
  }
  if (logical !== undefined) {
    const ts = TIMESTAMPS[logical];
    if (ts !== undefined && type === 'long') return t.timestamp(ts.unit, ts.zone);
    const why = REFUSED_LOGICAL[logical];
    if (why !== undefined && (type === 'bytes' || type === 'fixed' || type === 'int' || type === 'long')) {
      throw new Refused(`${logical}: ${why}`);
    }
    // uuid on string, or a logical type on the wrong type (which Avro says to ignore): the base type.
  }
  switch (type) {
    case 'record':
    case 'error':
      throw new Refused(
        `record '${String(node['name'])}': krange has no struct column type (flatten it in a transform or columns)`,
      );
    case 'enum':
      return t.utf8();
    case 'fixed':
      throw new Refused(`fixed '${String(node['name'])}': krange has no binary column type`);
    case 'map':
      throw new Refused('map: krange has no map column type');
    case 'array':
      return t.list(mapType(node['items'] as AvroNode, names, own));
    default:
      if (typeof type === 'string' || Array.isArray(type) || (typeof type === 'object' && type !== null)) {
        return mapType(type as AvroNode, names, own);
      }
      throw new Refused(`not an Avro type: ${JSON.stringify(node)}`);
  }
}

export interface AvroSchemaMapping {
  schema: Schema;
  /** Every field that could not be mapped, with why (empty when the mapping succeeded). */
  problems: string[];
}

/**
 * The columns of an Avro record schema (parsed JSON). `fields` are added, or replace the derived
 * type of a field of the same name (also one that could not be mapped). Never throws: the caller
 * reports `problems` with where the schema came from.
 */
export function schemaFromAvro(avro: unknown, fields: Schema = {}): AvroSchemaMapping {
  if (typeof avro !== 'object' || avro === null || Array.isArray(avro)) {
    return { schema: {}, problems: [`the schema is ${describe(avro as AvroNode)}, not an Avro record`] };
  }
  const root = avro as { [k: string]: unknown };
  if (root['type'] !== 'record' || !Array.isArray(root['fields'])) {
    return {
      schema: {},
      problems: [
        `the schema is ${describe(root as AvroNode)}, not an Avro record: its fields are the columns`,
      ],
    };
  }
  const names: Names = new Map();
  const ns = typeof root['namespace'] === 'string' ? root['namespace'] : undefined;
  if (typeof root['name'] === 'string') names.set(fullName(root['name'], ns), root);
  const schema: Schema = {};
  const problems: string[] = [];
  for (const f of root['fields'] as { name?: unknown; type?: unknown }[]) {
    const name = String(f.name);
    try {
      // Mapped even when overridden, so named types it defines are known to later fields.
      const ft = mapType(f.type as AvroNode, names, ns);
      schema[name] = fields[name] ?? ft;
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      if (fields[name] !== undefined) schema[name] = fields[name];
      else problems.push(`field '${name}' (${describe(f.type as AvroNode)}): ${err.message}`);
    }
  }
  for (const [name, ft] of Object.entries(fields)) schema[name] ??= ft;
  return { schema, problems };
}
