// The columnar path's SQL: a declarative job (schema, `columns`, `where`) with one Parquet sink
// compiled to one DuckDB `COPY (SELECT ...) TO ... (FORMAT parquet)` over a task's records: their
// values one a line (NDJSON), beside a CSV of their offsets and timestamps, joined by position (the
// value bytes are never spliced into other JSON, so no value can forge a field). Every field is read as
// JSON and accepted only where the JavaScript path (records/coerce.ts) gives the very same value;
// anything else (a wrong type, a number it would round, an odd timestamp) makes the query fail with
// DECLINED, and the task then runs on the JavaScript path, which applies the bad-record policy with
// its usual messages. Pure: no DuckDB here (columnar-writer.ts runs it).

import type { JobSpec, ParquetSinkSpec } from '../../job/job-spec.ts';
import type { Condition, FilterScalar, KafkaColumn } from '../../job/options/columns-options.ts';
import type { FieldType } from '../../job/schema.ts';
import { readsKafkaTimestamp, sources, typedFields } from './columnar-plan.ts';

/** The message of the error() a record the columnar path cannot prove equivalent raises. */
export const DECLINED = 'krange: declined by the columnar path';

/** Years 1000 to 9999 only: the partition directory and DuckDB's text agree there (ms since 1970). */
const MIN_MS = -30_610_224_000_000;
const MAX_MS = 253_402_300_799_999;
/** JavaScript's safe integers: a number beyond them is a BigInt on the JavaScript path. */
const SAFE = 9_007_199_254_740_991;

/** `YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±HH:MM)`, which records/time.ts parses by hand to whole ms. */
const ISO_RE =
  '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,3})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])';

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** The value's field `key` as JSON (SQL NULL when missing). */
function field(key: string): string {
  return `(struct_extract(v, ${sqlString(key)})::VARCHAR)`;
}

/**
 * A field's JSON as DuckDB's reader re-serialised it (yyjson: no whitespace, integers as digits,
 * doubles with a '.' or an exponent, strings quoted with their escapes): its type is its first
 * character, read without parsing it again.
 */
const isNull = (j: string) => `(${j} IS NULL OR ${j} = 'null')`;
const declined = `error(${sqlString(DECLINED)})`;
const isString = (j: string) => `starts_with(${j}, '"')`;
const INTEGER_RE = sqlString('-?[0-9]+');
const isInteger = (j: string) => `regexp_full_match(${j}, ${INTEGER_RE})`;
const isNumber = (j: string) => `regexp_full_match(${j}, '-?[0-9][0-9.eE+-]*')`;
/** The text of a JSON string: its characters between the quotes, unescaped only when it has escapes. */
const stringValue = (j: string) =>
  `(CASE WHEN contains(${j}, '\\') THEN json_extract_string(${j}, '$') ELSE (${j})[2:-2] END)`;

/** The struct field type of a typed key: timestamps as text (an ISO-8601 text or integer ms). */
function readType(ft: FieldType): string {
  return ft.kind === 'timestamp' ? 'VARCHAR' : duckType(ft);
}

/** ms since 1970 of a typed timestamp's text: ISO-8601 texts are 20 characters or more, ms at most 16. */
function typedEpochMs(x: string): string {
  return `(CASE WHEN length(${x}) >= 20 THEN epoch_ms(CAST(${x} AS TIMESTAMPTZ)) ELSE CAST(${x} AS BIGINT) END)`;
}

/** A typed key's column as stored: the walker proved the reader's value is the one to store. */
function typedValue(key: string, ft: FieldType): string {
  const x = `struct_extract(v, ${sqlString(key)})`;
  return ft.kind === 'timestamp' ? timestampFromMs(typedEpochMs(x), ft) : x;
}

interface Compiled {
  /** True when the JavaScript path accepts the value and stores what `value` gives. */
  ok: string;
  value: string;
}

/** ms since 1970 of a timestamp field's JSON: an ISO-8601 text (no escapes) or a safe integer (ms). */
function epochMs(j: string): string {
  return `(CASE WHEN ${isString(j)} THEN epoch_ms(TRY_CAST((${j})[2:-2] AS TIMESTAMPTZ)) ELSE TRY_CAST(${j} AS BIGINT) END)`;
}

function timestampOk(j: string): string {
  const text = `regexp_full_match(${j}, ${sqlString(`"${ISO_RE}"`)})`;
  return `((${text} OR ${isInteger(j)}) AND coalesce(${epochMs(j)} BETWEEN ${MIN_MS} AND ${MAX_MS}, false))`;
}

/** The stored value of a timestamp from its ms, in the field's unit and Parquet type. */
function timestampFromMs(ms: string, ft: Extract<FieldType, { kind: 'timestamp' }>): string {
  // Unit s keeps the floor of the second, as coerce.ts does; the others hold whole ms already.
  const whole = ft.unit === 's' ? `CAST(floor(${ms} / 1000) AS BIGINT) * 1000` : ms;
  const ts = `epoch_ms(${whole})`;
  if (ft.timezone !== null) return `${ts}::TIMESTAMPTZ`;
  return `${ts}::${ft.unit === 's' ? 'TIMESTAMP_S' : ft.unit === 'ms' ? 'TIMESTAMP_MS' : ft.unit === 'us' ? 'TIMESTAMP' : 'TIMESTAMP_NS'}`;
}

/** The DuckDB type of a column (timestamps with a time zone are TIMESTAMPTZ, i.e. microseconds). */
export function duckType(ft: FieldType): string {
  switch (ft.kind) {
    case 'utf8':
      return 'VARCHAR';
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
    case 'timestamp':
      if (ft.timezone !== null) return 'TIMESTAMPTZ';
      return ft.unit === 's'
        ? 'TIMESTAMP_S'
        : ft.unit === 'ms'
          ? 'TIMESTAMP_MS'
          : ft.unit === 'us'
            ? 'TIMESTAMP'
            : 'TIMESTAMP_NS';
    case 'list':
      return `${duckType(ft.item)}[]`;
  }
}

/** A non-null JSON value of a field of this type, as coerce.ts would accept it. */
function compileValue(j: string, ft: FieldType): Compiled {
  switch (ft.kind) {
    case 'utf8':
      return { ok: isString(j), value: stringValue(j) };
    case 'bool':
      return { ok: `(${j} = 'true' OR ${j} = 'false')`, value: `(${j} = 'true')` };
    case 'int32':
      return {
        ok: `(${isInteger(j)} AND TRY_CAST(${j} AS INTEGER) IS NOT NULL)`,
        value: `TRY_CAST(${j} AS INTEGER)`,
      };
    case 'int64': {
      // A number, or a decimal text (coerce.ts reads /^-?\d{1,19}$/ within int64).
      const text = `(${j})[2:-2]`;
      return {
        ok: `((${isInteger(j)} AND TRY_CAST(${j} AS BIGINT) IS NOT NULL) OR (regexp_full_match(${j}, '"-?[0-9]{1,19}"') AND TRY_CAST(${text} AS BIGINT) IS NOT NULL))`,
        value: `(CASE WHEN ${isString(j)} THEN TRY_CAST(${text} AS BIGINT) ELSE TRY_CAST(${j} AS BIGINT) END)`,
      };
    }
    case 'float64':
      return {
        ok: `(${isNumber(j)} AND coalesce(isfinite(TRY_CAST(${j} AS DOUBLE)), false))`,
        value: `TRY_CAST(${j} AS DOUBLE)`,
      };
    case 'timestamp':
      return { ok: timestampOk(j), value: timestampFromMs(epochMs(j), ft) };
    case 'list': {
      const item = compileNullable('x', ft.item);
      const items = `from_json(${j}, '["JSON"]')::VARCHAR[]`;
      return {
        ok: `(starts_with(${j}, '[') AND coalesce(list_bool_and(list_transform(${items}, lambda x: ${item.ok})), true))`,
        value: `list_transform(${items}, lambda x: ${item.value})::${duckType(ft)}`,
      };
    }
  }
}

function compileNullable(j: string, ft: FieldType): Compiled {
  const c = compileValue(j, ft);
  return {
    ok: ft.nullable ? `(${isNull(j)} OR ${c.ok})` : `(NOT ${isNull(j)} AND ${c.ok})`,
    value: `(CASE WHEN ${isNull(j)} THEN NULL ELSE ${c.value} END)`,
  };
}

/**
 * The column's value where the JavaScript path stores the same, else error(DECLINED): the check and
 * the conversion in one expression, evaluated once per row (a separate WHERE measured 1.3x the CPU).
 */
function checkedValue(j: string, ft: FieldType): string {
  const c = compileValue(j, ft);
  return `(CASE WHEN ${isNull(j)} THEN ${ft.nullable ? 'NULL' : declined} WHEN ${c.ok} THEN ${c.value} ELSE ${declined} END)`;
}

function kafkaColumn(k: KafkaColumn, ft: FieldType, task: TaskCoordinates): Compiled {
  switch (k) {
    case 'offset':
      return { ok: 'true', value: ft.kind === 'utf8' ? 'o::VARCHAR' : 'o' };
    case 'partition':
      return { ok: 'true', value: `${task.partition}::${duckType(ft)}` };
    case 'topic':
      return { ok: 'true', value: sqlString(task.topic) };
    case 'timestamp':
      return ft.kind === 'timestamp'
        ? { ok: `(t BETWEEN ${MIN_MS} AND ${MAX_MS})`, value: timestampFromMs('t', ft) }
        : { ok: 'true', value: 't' };
    case 'key':
      throw new Error('the Kafka key has no columnar form (columnarRefusal says so)');
  }
}

/** A `where` condition's `x === c` on a value's field as the JavaScript path reads it. */
function equalsJson(j: string, c: FilterScalar): string {
  // Never NULL (a missing field is not equal to 'US', and `not: 'US'` keeps it, as in JavaScript).
  return `coalesce(${equalsJsonOrNull(j, c)}, false)`;
}

function equalsJsonOrNull(j: string, c: FilterScalar): string {
  if (c === null) return isNull(j);
  if (typeof c === 'string') return `(${isString(j)} AND ${stringValue(j)} = ${sqlString(c)})`;
  if (typeof c === 'boolean') return `(${j} = '${c}')`;
  // Beyond the safe integers the JavaScript path holds a BigInt (never === a number): declined.
  const d = `TRY_CAST(${j} AS DOUBLE)`;
  // One CASE, so error() is reached only by numbers (an AND may evaluate both sides).
  return `(CASE WHEN NOT coalesce(${isNumber(j)}, false) THEN false WHEN abs(${d}) <= ${SAFE} THEN ${d} = ${numberLiteral(c)} ELSE ${declined} END)`;
}

function numberLiteral(n: number): string {
  return `CAST(${sqlString(String(n))} AS DOUBLE)`;
}

function equalsKafka(k: KafkaColumn, c: FilterScalar, task: TaskCoordinates): string {
  switch (k) {
    case 'offset': // a decimal string on the JavaScript path
      return typeof c === 'string' ? `(o::VARCHAR = ${sqlString(c)})` : 'false';
    case 'partition':
      return String(c === task.partition);
    case 'topic':
      return String(c === task.topic);
    case 'timestamp':
      return typeof c === 'number' ? `(t = ${numberLiteral(c)})` : 'false';
    case 'key':
      throw new Error('the Kafka key has no columnar form');
  }
}

function condition(eq: (c: FilterScalar) => string, cond: Condition): string {
  if (cond !== null && typeof cond === 'object') {
    if ('in' in cond) return `(${cond.in.map(eq).join(' OR ')})`;
    return `(NOT ${eq(cond.not)})`;
  }
  return eq(cond);
}

export interface TaskCoordinates {
  job: string;
  topic: string;
  partition: number;
  begin: bigint;
  end: bigint;
}

/** The files of a task's records: the values (NDJSON), their `offset[,timestamp]` lines (CSV). */
export interface ColumnarInput {
  values: string;
  meta: string;
}

/** The COPY statement of one task: the records in `input` to Parquet under `output`. */
export function columnarCopySql(
  spec: JobSpec,
  sink: ParquetSinkSpec,
  task: TaskCoordinates,
  input: ColumnarInput,
  output: string,
): string {
  const names = Object.keys(spec.schema);
  const src = sources(spec);
  const keys = [...new Set(src.flatMap((s) => ('value' in s ? [s.value] : [])))];
  const typed = new Map(typedFields(spec).map((f) => [f.key, f.type]));
  const readAs = (k: string) => {
    const ft = typed.get(k);
    return ft === undefined ? 'JSON' : readType(ft);
  };
  // A job of Kafka metadata only still needs the value to be an object (or null): one unused key.
  const struct = `STRUCT(${(keys.length > 0 ? keys : ['krange.none']).map((k) => `${sqlIdent(k)} ${keys.length > 0 ? readAs(k) : 'JSON'}`).join(', ')})`;
  const select = names.map((name, i) => {
    const ft = spec.schema[name]!;
    const s = src[i]!;
    if ('value' in s && typed.has(s.value)) return `${typedValue(s.value, ft)} AS ${sqlIdent(name)}`;
    if ('value' in s) return `${checkedValue(field(s.value), ft)} AS ${sqlIdent(name)}`;
    const k = kafkaColumn(s.kafka, ft, task);
    const value = k.ok === 'true' ? k.value : `(CASE WHEN ${k.ok} THEN ${k.value} ELSE ${declined} END)`;
    return `${value} AS ${sqlIdent(name)}`;
  });
  const where = Object.entries(spec.where ?? {}).map(([name, cond]) => {
    const s = src[names.indexOf(name)];
    if (s === undefined) return 'false';
    return condition(
      (c) => ('value' in s ? equalsJson(field(s.value), c) : equalsKafka(s.kafka, c, task)),
      cond,
    );
  });
  const p = sink.partitionBy;
  let partition = '';
  if (p !== undefined) {
    const fmt = p.format === 'hour' ? '%Y-%m-%d-%H' : '%Y-%m-%d';
    let ms: string;
    if ('kafkaTimestamp' in p) ms = 't';
    else {
      const i = names.indexOf(p.field);
      const s = src[i]!;
      if (!('value' in s)) ms = 't';
      else if (typed.has(s.value)) ms = typedEpochMs(`struct_extract(v, ${sqlString(s.value)})`);
      else ms = `(CASE WHEN ${isNull(field(s.value))} THEN NULL ELSE ${epochMs(field(s.value))} END)`;
    }
    // A directory only for instants the JavaScript path names the same way (else declined; a
    // field's instant is checked by its column).
    if ('kafkaTimestamp' in p)
      ms = `(CASE WHEN t BETWEEN ${MIN_MS} AND ${MAX_MS} THEN t ELSE ${declined} END)`;
    select.push(
      `coalesce(strftime(epoch_ms(${ms}), ${sqlString(fmt)}), '__HIVE_DEFAULT_PARTITION__') AS ${sqlIdent(p.name)}`,
    );
    partition = `, PARTITION_BY (${sqlIdent(p.name)})`;
  }
  const keep = where.length === 0 ? 'true' : where.join(' AND ');
  const meta = {
    'krange.job': task.job,
    'krange.range': `${task.topic}:${task.partition}:${task.begin}-${task.end}`,
  };
  const kv = Object.entries(meta)
    .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
    .join(', ');
  const codec = sink.compression === 'none' ? 'uncompressed' : sink.compression;
  const target = p === undefined ? `${output}/part.parquet` : output;
  return `COPY (
  SELECT ${select.join(',\n    ')}
  FROM read_json(${sqlString(input.values)}, format = 'newline_delimited', records = false,
    columns = {v: ${sqlString(struct)}})
  POSITIONAL JOIN read_csv(${sqlString(input.meta)}, header = false, auto_detect = false, delim = ',', columns = {${readsKafkaTimestamp(spec) ? "o: 'BIGINT', t: 'BIGINT'" : "o: 'BIGINT'"}})
  WHERE CASE WHEN o IS NULL OR v IS NULL THEN ${declined} ELSE (${keep}) END
) TO ${sqlString(target)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${sink.rowGroupSize}${partition}, KV_METADATA {${kv}})`;
}
