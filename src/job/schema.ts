// The output schema a job declares: field types that map 1:1 to Arrow (and so to Parquet) types.
// Plain data, so the driver can hash it and the workers can rebuild it from the job module.

import { createHash } from 'node:crypto';
import { z } from 'zod';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export type FieldType =
  | { kind: 'utf8'; nullable: boolean }
  | { kind: 'int32'; nullable: boolean }
  | { kind: 'int64'; nullable: boolean }
  | { kind: 'float64'; nullable: boolean }
  | { kind: 'bool'; nullable: boolean }
  | { kind: 'timestamp'; unit: TimeUnit; timezone: string | null; nullable: boolean }
  | { kind: 'list'; item: FieldType; nullable: boolean };

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

/** A stable hash of the schema; stored in metadata.json to notice a changed job. */
export function schemaHash(schema: Schema): string {
  const canonical = Object.entries(schema)
    .map(([name, ft]) => `${name}:${describeType(ft)}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
