// Checks of a parsed job against its own schema, run once at load: a field a sink, a partition
// directory or the aggregate names must exist, so a typo is refused with its path instead of
// failing (or being dropped as a bad record) on every row at run time.

import { isKrangeError } from '../errors.ts';
import { planAggregate } from './aggregate/aggregate-plan.ts';
import type { JobSpec, SinkSpec } from './job-spec.ts';
import { compileKeyTemplate } from './key-template.ts';
import { closestKey } from './options/strict-options.ts';
import { describeType } from './schema.ts';

/** Placeholders a Redis key may use without a schema field of that name. */
const RECORD_COORDINATES = ['topic', 'partition', 'offset'];

/** Every problem as `path: message`, in the order of the job's options. */
export function checkJobAgainstSchema(spec: JobSpec): string[] {
  const fields = Object.keys(spec.schema);
  const known = `schema fields: ${fields.join(', ')}`;
  const problems: string[] = [];
  const needField = (path: string, field: string, what: string, also: readonly string[] = []) => {
    if (Object.hasOwn(spec.schema, field) || also.includes(field)) return;
    const near = closestKey(field, [...fields, ...also]);
    if (near !== undefined)
      problems.push(`${path}: ${what} '${field}' is not in the schema: did you mean '${near}'?`);
    else
      problems.push(
        `${path}: ${what} '${field}' is not in the schema (${known}${also.length > 0 ? `; or ${also.map((a) => `{${a}}`).join(', ')}` : ''})`,
      );
  };

  for (const [i, sink] of spec.sinks.entries()) checkSink(sink, `sinks.${i}`, spec, needField, problems);
  if (spec.columns !== undefined) {
    if (spec.transform !== undefined)
      problems.push('columns: a job has either `columns` or `transform`, not both');
    for (const name of Object.keys(spec.columns)) needField(`columns.${name}`, name, 'column');
  }
  if (spec.where !== undefined) {
    if (spec.transform !== undefined)
      problems.push('where: a job with a JavaScript `transform` filters there; `where` goes with `columns`');
    for (const name of Object.keys(spec.where)) needField(`where.${name}`, name, 'filter field');
  }

  if (spec.aggregate !== undefined) {
    try {
      planAggregate(spec);
    } catch (err) {
      if (!isKrangeError(err, 'KRANGE_CONFIG')) throw err;
      problems.push(`aggregate: ${err.message.replace(/^job '[^']*' aggregate: /, '')}`);
    }
  }
  return problems;
}

type NeedField = (path: string, field: string, what: string, also?: readonly string[]) => void;

function checkSink(
  sink: SinkSpec,
  path: string,
  spec: JobSpec,
  needField: NeedField,
  problems: string[],
): void {
  switch (sink.kind) {
    case 'parquet': {
      const p = sink.partitionBy;
      if (p !== undefined && 'field' in p) {
        needField(`${path}.partitionBy.field`, p.field, 'partition field');
        const ft = spec.schema[p.field];
        if (ft?.kind === 'list')
          problems.push(`${path}.partitionBy.field: '${p.field}' is a list; partition by a scalar field`);
        if (ft !== undefined && p.format !== 'value' && (ft.kind === 'bool' || ft.kind === 'utf8'))
          problems.push(
            `${path}.partitionBy.format: '${p.format}' needs a timestamp or a number of ms, '${p.field}' is ${describeType(ft)}; use format: 'value' or a timestamp field`,
          );
      }
      return;
    }
    case 'redis': {
      for (const field of compileKeyTemplate(sink.key).fields)
        needField(`${path}.key`, field, 'key placeholder', RECORD_COORDINATES);
      if (sink.valueField !== undefined) needField(`${path}.valueField`, sink.valueField, 'value field');
      return;
    }
    case 'mongo': {
      const id = spec.schema['_id'];
      if (sink.id === undefined && id !== undefined && (id.nullable || id.kind === 'list'))
        problems.push(
          `schema._id: the Mongo sink (${path}) uses '_id' as the document id, which cannot be ${id.kind === 'list' ? 'a list' : 'null'}; make it a non-null scalar or give the sink an id function`,
        );
      sink.indexes.forEach((index, j) => {
        for (const key of Object.keys(index.keys)) {
          const top = key.split('.')[0] ?? key;
          if (top !== '_id') needField(`${path}.indexes.${j}.keys`, top, 'index field');
        }
      });
      return;
    }
    case 'postgres':
      for (const key of sink.key ?? []) needField(`${path}.key`, key, 'key column');
      return;
    case 'kafka':
      if (sink.key !== undefined) needField(`${path}.key`, sink.key, 'key field');
      return;
  }
}
