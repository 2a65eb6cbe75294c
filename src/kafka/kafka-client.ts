// kafkajs clients and the admin questions the planner asks: which topics, which partitions, their
// earliest and latest offsets (latest = last stable offset under read_committed) and offsets for a
// timestamp. kafkajs logs go through our pino logger.

import { type Admin, Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import { addressOrigin, type ServiceEndpoints } from '../job/endpoints.ts';
import type { JobSpec } from '../job/job-spec.ts';
import type { PartitionWatermarks } from '../plan/planner.ts';
import { registerKafkajsCodecs } from './compression.ts';
import './kafkajs-linear-offsets.ts';

export function createKafka(opts: { brokers: string[]; clientId: string; logger?: Logger }): Kafka {
  const log = opts.logger;
  // Every kafkajs client krange makes reads (and can write) snappy, lz4 and zstd batches.
  registerKafkajsCodecs();
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        if (log === undefined) return;
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error({ kafkajs: rest }, message);
        else log.warn({ kafkajs: rest }, message);
      },
  });
}

/** The job's own brokers, else the configured ones. */
export function jobBrokers(spec: JobSpec, endpoints: Pick<ServiceEndpoints, 'kafkaBrokers'>): string[] {
  return spec.kafka.brokers ?? endpoints.kafkaBrokers;
}

export function jobKafka(
  job: { spec: JobSpec; endpoints: Pick<ServiceEndpoints, 'kafkaBrokers'> },
  logger?: Logger,
): Kafka {
  const { spec } = job;
  return createKafka({
    brokers: jobBrokers(spec, job.endpoints),
    clientId: spec.kafka.clientId ?? `krange-${spec.name}`,
    ...(logger ? { logger } : {}),
  });
}

/** An admin client of the job's cluster, connected; a failure names the brokers and what set them. */
export async function connectAdmin(
  job: { spec: JobSpec; endpoints: Pick<ServiceEndpoints, 'kafkaBrokers'> },
  logger?: Logger,
): Promise<Admin> {
  const { spec } = job;
  const admin = jobKafka(job, logger).admin();
  try {
    await admin.connect();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw Errors.unreachable({
      service: 'Kafka',
      address: jobBrokers(spec, job.endpoints).join(','),
      origin: addressOrigin('kafka', spec.kafka.brokers === undefined ? undefined : 'kafka.brokers'),
      reason: cause instanceof Error ? cause.message : (err as Error).message,
      cause: err,
    });
  }
  return admin;
}

/** The job's topics: the listed ones, or every topic matching the RegExp (sorted). */
export async function resolveTopics(admin: Admin, topics: string[] | RegExp): Promise<string[]> {
  if (Array.isArray(topics)) return [...topics].sort();
  const all = await admin.listTopics();
  return all.filter((t) => !t.startsWith('__') && topics.test(t)).sort();
}

/** Earliest and latest offsets of every partition of the given (existing) topics. */
export async function fetchWatermarks(admin: Admin, topics: string[]): Promise<PartitionWatermarks[]> {
  const existing = new Set(await admin.listTopics());
  const out: PartitionWatermarks[] = [];
  await Promise.all(
    topics
      .filter((t) => existing.has(t))
      .map(async (topic) => {
        try {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            out.push({ topic, partition: p.partition, earliest: BigInt(p.low), latest: BigInt(p.high) });
          }
        } catch (err) {
          throw Errors.kafka(
            `cannot read offsets of topic '${topic}': ${(err as Error).message}`,
            { topic },
            err,
          );
        }
      }),
  );
  return out;
}

/** For each partition, the first offset whose timestamp is >= ts (the end offset when none is). */
export async function offsetsForTimestamp(
  admin: Admin,
  topic: string,
  ts: number,
): Promise<Map<number, bigint>> {
  const res = await admin.fetchTopicOffsetsByTimestamp(topic, ts);
  return new Map(res.map((p) => [p.partition, BigInt(p.offset)]));
}
