// Builds the sinks a job declares. Drivers for Mongo and Redis load only when a job uses them.

import type { SinkSpec } from '../job/job-spec.ts';
import { ParquetSink } from './hdfs-parquet.ts';
import type { Sink } from './sink.ts';

export async function createSink(spec: SinkSpec): Promise<Sink> {
  switch (spec.kind) {
    case 'parquet':
      return new ParquetSink(spec);
    case 'mongo': {
      const { MongoSink } = await import('./mongo.ts');
      return new MongoSink(spec);
    }
    case 'redis': {
      const { RedisSink } = await import('./redis.ts');
      return new RedisSink(spec);
    }
  }
}

export function createSinks(specs: SinkSpec[]): Promise<Sink[]> {
  return Promise.all(specs.map(createSink));
}
