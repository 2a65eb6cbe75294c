// Builds the sinks a job declares. Each sink's module (Arrow and the Parquet encoder, the Mongo and
// Redis drivers) loads only when a job uses it, and only in the worker threads.

import type { SinkSpec } from '../job/job-spec.ts';
import type { Sink } from './sink.ts';

export async function createSink(spec: SinkSpec): Promise<Sink> {
  switch (spec.kind) {
    case 'parquet': {
      const { ParquetSink } = await import('./parquet/parquet-sink.ts');
      return new ParquetSink(spec);
    }
    case 'mongo': {
      const { MongoSink } = await import('./mongo/mongo-sink.ts');
      return new MongoSink(spec);
    }
    case 'redis': {
      const { RedisSink } = await import('./redis/redis-sink.ts');
      return new RedisSink(spec);
    }
  }
}

export function createSinks(specs: SinkSpec[]): Promise<Sink[]> {
  return Promise.all(specs.map(createSink));
}
