// The output schema a job declares: field types that map 1:1 to Arrow (and so to Parquet) types.
// Plain data, so the driver can hash it and the workers can rebuild it from the job module.

import { createHash } from 'node:crypto';
import { z } from 'zod';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** What every field type says: whether the field may be null (made by `t.nullable(...)`). */
interface Nullable {
  /** `true` when the field may be null or missing; else such a row is a bad record. */
  nullable: boolean;
}

/** A schema field's type, made with the `t` constructors below. */
export type FieldType =
  | ({ kind: 'utf8' } & Nullable)
  | ({ kind: 'int32' } & Nullable)
  | ({ kind: 'int64' } & Nullable)
  | ({ kind: 'float64' } & Nullable)
  | ({ kind: 'bool' } & Nullable)
  | ({
      kind: 'timestamp';
      /** The unit of the stored epoch value (Parquet: the timestamp's unit). */
      unit: TimeUnit;
      /** `'UTC'` (Parquet isAdjustedToUTC) or null for a local time without a zone. */
      timezone: string | null;
    } & Nullable)
  | ({
      kind: 'list';
      /** The type of every element. */
      item: FieldType;
    } & Nullable);

export type Schema = Record<string, FieldType>;

/** Field type constructors: `t.utf8()`, `t.int64()`, `t.timestamp('ms')`, `t.list(t.utf8())`, `t.nullable(...)`. */
export const t = {
  utf8: (): FieldType => ({ kind: 'utf8', nullable: false }),
  int32: (): FieldType => ({ kind: 'int32', nullable: false }),
  int64: (): FieldType => ({ kind: 'int64', nullable: false }),
  float64: (): FieldType => ({ kind: 'float64', nullable: false }),
  bool: (): FieldType => ({ kind: 'bool', nullable: false }),
  timestamp: (unit: TimeUnit = 'ms', timezone: string | null = 'UTC'): FieldType => ({
    kind: 'timestamp',
    unit,
    timezone,
    nullable: false,
  }),
  list: (item: FieldType): FieldType => ({ kind: 'list', item, nullable: false }),
  nullable: (ft: FieldType): FieldType => ({ ...ft, nullable: true }),
};

const fieldTypeSchema: z.ZodType<FieldType> = z.lazy(() =>
  z.union([
    z.object({ kind: z.enum(['utf8', 'int32', 'int64', 'float64', 'bool']), nullable: z.boolean() }),
    z.object({
      kind: z.literal('timestamp'),
      unit: z.enum(['s', 'ms', 'us', 'ns']),
      timezone: z.string().nullable(),
      nullable: z.boolean(),
    }),
    z.object({ kind: z.literal('list'), item: fieldTypeSchema, nullable: z.boolean() }),
  ]),
) as z.ZodType<FieldType>;

export const schemaSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'field names are letters, digits and _'),
    fieldTypeSchema,
  )
  .refine((s) => Object.keys(s).length > 0, 'the schema needs at least one field');

export function describeType(ft: FieldType): string {
  const base =
    ft.kind === 'list'
      ? `list<${describeType(ft.item)}>`
      : ft.kind === 'timestamp'
        ? `timestamp(${ft.unit}${ft.timezone ? `, ${ft.timezone}` : ''})`
        : ft.kind;
  return ft.nullable ? `${base}?` : base;
}

/** One output column as `krange plan` shows it: the type without the nullability mark, which is its own field. */
export interface ColumnDescription {
  name: string;
  type: string;
  nullable: boolean;
}

export function describeColumns(schema: Schema): ColumnDescription[] {
  return Object.entries(schema).map(([name, ft]) => ({
    name,
    type: describeType({ ...ft, nullable: false }),
    nullable: ft.nullable,
  }));
}

/** A stable hash of the schema; stored in metadata.json to notice a changed job. */
export function schemaHash(schema: Schema): string {
  const canonical = Object.entries(schema)
    .map(([name, ft]) => `${name}:${describeType(ft)}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
