// Builds the sinks a job declares. Each sink's module (Arrow and the Parquet encoder, the Mongo and
// Redis, pg and kafkajs producers) loads only when a job uses it, and only in the worker threads.

import type { SinkSpec } from '../job/job-spec.ts';
import type { Sink } from './sink.ts';

/** `kafkaBrokers`: the job's kafka.brokers, the default of a kafka sink's output cluster. */
export async function createSink(spec: SinkSpec, kafkaBrokers?: string[]): Promise<Sink> {
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
    case 'postgres': {
      const { PostgresSink } = await import('./postgres/postgres-sink.ts');
      return new PostgresSink(spec);
    }
    case 'kafka': {
      const { KafkaSink } = await import('./kafka/kafka-sink.ts');
      return new KafkaSink(spec, kafkaBrokers);
    }
  }
}

export function createSinks(specs: SinkSpec[], kafkaBrokers?: string[]): Promise<Sink[]> {
  return Promise.all(specs.map((s) => createSink(s, kafkaBrokers)));
}
