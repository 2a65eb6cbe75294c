// Sink constructors for job modules: `sinks: [parquet({...}), mongo({...}), redis({...}),
// postgres({...}), kafka({...})]`.
// They only fill in `kind`; options are validated with the job.

import type { z } from 'zod';
import type {
  kafkaSinkSchema,
  mongoSinkSchema,
  parquetSinkSchema,
  postgresSinkSchema,
  redisSinkSchema,
} from '../job/job-spec.ts';

type Input<S extends z.ZodType> = Omit<z.input<S>, 'kind'>;

/** Parquet files under `path`: `webhdfs://` (HDFS), `file://` or a local path. */
export const parquet = (o: Input<typeof parquetSinkSchema>) => ({ kind: 'parquet' as const, ...o });
/**
 * The Parquet sink under its first name.
 * @deprecated Use `parquet()`: the sink writes to `file://` and local paths as well as to HDFS.
 */
export const hdfsParquet = parquet;
export const mongo = (o: Input<typeof mongoSinkSchema>) => ({ kind: 'mongo' as const, ...o });
export const redis = (o: Input<typeof redisSinkSchema>) => ({ kind: 'redis' as const, ...o });
export const postgres = (o: Input<typeof postgresSinkSchema>) => ({ kind: 'postgres' as const, ...o });
export const kafka = (o: Input<typeof kafkaSinkSchema>) => ({ kind: 'kafka' as const, ...o });
