// Which records path a declarative job takes, and how the columnar path reads its value fields:
// why a job cannot take it (`krange plan` prints that), and which fields DuckDB reads with its typed
// reader because the walker (records/json-walker.ts) vouches for their text. Pure.

import type { JobSpec } from '../../job/job-spec.ts';
import type { ColumnSource, KafkaColumn } from '../../job/options/columns-options.ts';
import type { FieldType } from '../../job/schema.ts';
import type { WalkedField } from '../../records/json-walker.ts';

/** Where a schema field's value comes from: a field of the record's value, or Kafka metadata. */
export type Source = { value: string } | { kafka: KafkaColumn };

export function sources(spec: JobSpec): Source[] {
  const columns: Record<string, ColumnSource> = spec.columns ?? {};
  return Object.keys(spec.schema).map((name): Source => {
    const c = Object.hasOwn(columns, name) ? columns[name]! : name;
    return typeof c === 'string' ? { value: c } : { kafka: c.kafka };
  });
}

/** The Kafka metadata each schema type can take exactly as the JavaScript path stores it. */
const KAFKA_TYPES: Record<KafkaColumn, FieldType['kind'][]> = {
  offset: ['int64', 'utf8'],
  partition: ['int32', 'int64'],
  timestamp: ['timestamp', 'int64'],
  topic: ['utf8'],
  key: [],
};

const LIST_ITEMS: FieldType['kind'][] = ['utf8', 'int32', 'int64', 'float64', 'bool'];

function typeRefusal(name: string, ft: FieldType): string | undefined {
  if (ft.kind !== 'list') return undefined;
  if (!LIST_ITEMS.includes(ft.item.kind))
    return `its field '${name}' is a list of ${ft.item.kind === 'list' ? 'lists' : ft.item.kind} (the columnar path reads lists of utf8, int32, int64, float64 or bool)`;
  return undefined;
}

/** Why a job's records cannot take the columnar path, or undefined when they can. */
export function columnarRefusal(spec: JobSpec): string | undefined {
  if (spec.decoder !== 'json') return "its decoder is not 'json'";
  if (spec.transform !== undefined)
    return 'it has a JavaScript transform (declare projection, renames and Kafka metadata with `columns` instead)';
  if (spec.sinks.length !== 1 || spec.sinks[0]!.kind !== 'parquet')
    return 'its sinks are not exactly one Parquet sink (the others need JavaScript values)';
  const sink = spec.sinks[0]!;
  const names = Object.keys(spec.schema);
  const src = sources(spec);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const ft = spec.schema[name]!;
    const s = src[i]!;
    if ('value' in s && s.value in Object.prototype)
      return `its field '${s.value}' is also a name every JavaScript object has`;
    if ('kafka' in s && !KAFKA_TYPES[s.kafka].includes(ft.kind))
      return s.kafka === 'key'
        ? `its field '${name}' is the Kafka key (the columnar path reads values only)`
        : `its field '${name}' takes the Kafka ${s.kafka} as ${ft.kind}`;
    const t = typeRefusal(name, ft);
    if (t !== undefined) return t;
  }
  const keys = src.flatMap((s) => ('value' in s ? [s.value.toLowerCase()] : []));
  if (new Set(keys).size !== new Set(src.flatMap((s) => ('value' in s ? [s.value] : []))).size)
    return 'two of its value fields differ only in case (DuckDB names struct fields case-insensitively)';
  const p = sink.partitionBy;
  if (p !== undefined) {
    if (names.includes(p.name)) return `its partition directory name '${p.name}' is also a schema field`;
    if (!('kafkaTimestamp' in p)) {
      if (p.format === 'value') return "it partitions by a field's value (format: 'value')";
      if (spec.schema[p.field]?.kind !== 'timestamp')
        return `it partitions by '${p.field}', which is not a timestamp field of the schema`;
    }
  }
  return undefined;
}

/** Whether the columnar path is switched off (KRANGE_COLUMNAR=0 forces the JavaScript path). */
export function columnarDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['KRANGE_COLUMNAR'] === '0';
}

/** What `krange plan` says about a job's records path. */
export function columnarPathLine(spec: JobSpec, env: NodeJS.ProcessEnv = process.env): string {
  const refusal = columnarRefusal(spec);
  if (refusal !== undefined)
    return `records: JavaScript path; the columnar path (DuckDB) cannot apply because ${refusal}`;
  if (columnarDisabled(env))
    return 'records: JavaScript path (KRANGE_COLUMNAR=0); the columnar path (DuckDB) could apply';
  return 'records: columnar path (DuckDB reads the JSON values and writes the Parquet; a task with a record it cannot vouch for runs on the JavaScript path)';
}

/**
 * The value fields DuckDB reads with its typed reader because the walker (records/json-walker.ts)
 * vouches for each record's text: every key read by one schema type and not filtered on by `where`
 * (a filter sees the value as written, before any check). The other keys are read as JSON text and
 * checked in SQL, as before.
 */
export function typedFields(spec: JobSpec): WalkedField[] {
  const names = Object.keys(spec.schema);
  const src = sources(spec);
  const types = new Map<string, FieldType | null>();
  names.forEach((name, i) => {
    const s = src[i]!;
    if (!('value' in s)) return;
    const ft = spec.schema[name]!;
    const before = types.get(s.value);
    const filtered = spec.where !== undefined && Object.hasOwn(spec.where, name);
    if (filtered || (before !== undefined && JSON.stringify(before) !== JSON.stringify(ft)))
      types.set(s.value, null);
    else types.set(s.value, ft);
  });
  return [...types].flatMap(([key, type]) => (type === null ? [] : [{ key, type }]));
}

/**
 * Whether the job reads the records' Kafka timestamps (a column, a filter or the partition
 * directory): only then does meta.csv carry them beside the offsets.
 */
export function readsKafkaTimestamp(spec: JobSpec): boolean {
  const sink = spec.sinks[0];
  const p = sink?.kind === 'parquet' ? sink.partitionBy : undefined;
  return (
    (p !== undefined && 'kafkaTimestamp' in p) ||
    sources(spec).some((s) => 'kafka' in s && s.kafka === 'timestamp')
  );
}
