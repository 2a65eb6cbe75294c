// Builds the sinks a job declares, and runs each kind's driver-side preparation of an iteration.
// Each sink's module (Arrow and the Parquet encoder, the Mongo and Redis drivers, pg and kafkajs
// producers) loads only when a job uses it, and only in the worker threads; the driver loads only
// the small preparation modules.

import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { SinkSpec } from '../job/job-spec.ts';
import type { Sink } from './sink.ts';

/** `jobBrokers`: the job's kafka.brokers, the default of a kafka sink's output cluster. */
export async function createSink(
  spec: SinkSpec,
  endpoints: ServiceEndpoints,
  jobBrokers?: string[],
): Promise<Sink> {
  switch (spec.kind) {
    case 'parquet': {
      const { ParquetSink } = await import('./parquet/parquet-sink.ts');
      return new ParquetSink(spec, endpoints);
    }
    case 'mongo': {
      const { MongoSink } = await import('./mongo/mongo-sink.ts');
      return new MongoSink(spec, endpoints.mongoUrl, endpoints.retryBudgetMs);
    }
    case 'redis': {
      const { RedisSink } = await import('./redis/redis-sink.ts');
      return new RedisSink(spec, endpoints.redisUrl, endpoints.retryBudgetMs);
    }
    case 'postgres': {
      const { PostgresSink } = await import('./postgres/postgres-sink.ts');
      return new PostgresSink(spec, endpoints.pgUrl, endpoints.retryBudgetMs);
    }
    case 'kafka': {
      const { KafkaSink } = await import('./kafka/kafka-sink.ts');
      return new KafkaSink(spec, jobBrokers ?? endpoints.kafkaBrokers);
    }
  }
}

export function createSinks(
  specs: SinkSpec[],
  endpoints: ServiceEndpoints,
  jobBrokers?: string[],
): Promise<Sink[]> {
  return Promise.all(specs.map((s) => createSink(s, endpoints, jobBrokers)));
}

/**
 * What a sink kind does in the driver before an iteration's tasks run (the caller holds the job
 * lock). Parquet clears the staging files of killed attempts; the others need nothing (Mongo and
 * Redis write idempotent upserts, PostgreSQL and Kafka skip ranges their markers cover).
 */
export async function prepareIteration(
  spec: SinkSpec,
  job: string,
  iteration: number,
  endpoints: ServiceEndpoints,
): Promise<void> {
  switch (spec.kind) {
    case 'parquet': {
      const { removeTemporary } = await import('./parquet/parquet-temporary.ts');
      await removeTemporary(spec, job, iteration, endpoints);
      return;
    }
    case 'mongo':
    case 'redis':
    case 'postgres':
    case 'kafka':
      return;
  }
}

/**
 * What a sink kind does in the driver after an iteration (or a rerun) was committed, still under
 * the job lock: Parquet removes the job's staging folder. Best effort: the caller logs a failure.
 */
export async function finishIteration(
  spec: SinkSpec,
  job: string,
  endpoints: ServiceEndpoints,
): Promise<void> {
  switch (spec.kind) {
    case 'parquet': {
      const { removeJobTemporary } = await import('./parquet/parquet-temporary.ts');
      await removeJobTemporary(spec, job, endpoints);
      return;
    }
    case 'mongo':
    case 'redis':
    case 'postgres':
    case 'kafka':
      return;
  }
}

/** prepareIteration for every sink of a job, one after the other. */
export async function prepareSinks(
  specs: SinkSpec[],
  job: string,
  iteration: number,
  endpoints: ServiceEndpoints,
): Promise<void> {
  for (const s of specs) await prepareIteration(s, job, iteration, endpoints);
}
