// The sinks of a job: one of the sink kinds, told apart by `kind` (set by the sink constructors).

import { z } from 'zod';
import { kafkaSinkSchema } from './kafka-sink-options.ts';
import { mongoSinkSchema } from './mongo-sink-options.ts';
import { parquetSinkSchema } from './parquet-sink-options.ts';
import { postgresSinkSchema } from './postgres-sink-options.ts';
import { redisSinkSchema } from './redis-sink-options.ts';

export const sinkSchema = z.discriminatedUnion('kind', [
  parquetSinkSchema,
  mongoSinkSchema,
  redisSinkSchema,
  postgresSinkSchema,
  kafkaSinkSchema,
]);
export type SinkSpec = z.infer<typeof sinkSchema>;
