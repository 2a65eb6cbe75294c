// Kafka sink: rows produced to an output topic exactly once, with Kafka transactions. Per task,
// a transactional producer whose id names the task's range (so a new attempt fences the old one
// and settles its transaction), the records sent inside one transaction, and, in the same
// transaction, a consumer-group offset commit (`sendOffsets`) that marks the range as produced:
// group `krange-sink.<job>.<out>.<topic>.<partition>.<begin>-<end>`, offset `end` on the source
// partition. On open the writer lists these marker groups and drops the rows of covered records,
// so a replay (after a crash between the Kafka commit and krange's own) produces nothing twice.
// ARCHITECTURE.md walks through the failure timeline. Read the output with read_committed.

import { type Admin, type Kafka, Partitioners, type ProducerConfig } from 'kafkajs';
import { Errors } from '../../errors.ts';
import type { KafkaSinkSpec } from '../../job/job-spec.ts';
import { createKafka } from '../../kafka/kafka-client.ts';
import type { Sink, SinkTaskWriter, TaskContext } from '../sink.ts';
import { type KafkaSinkHandle, KafkaTaskWriter } from './kafka-task-writer.ts';

export class KafkaSink implements Sink, KafkaSinkHandle {
  readonly name: string;
  readonly brokers: string[];
  /** `kafka://broker/<topic>`, for commit files. */
  readonly target: string;
  readonly kafka: Kafka;
  private admin: Promise<Admin> | undefined;
  private partitions: Promise<number> | undefined;

  constructor(
    readonly spec: KafkaSinkSpec,
    /** The job's brokers, else the configured ones: the output cluster when the spec names none. */
    defaultBrokers: string[],
  ) {
    this.brokers = spec.brokers ?? defaultBrokers;
    this.name = `kafka:${spec.topic}`;
    this.target = `kafka://${this.brokers[0] ?? ''}/${spec.topic}`;
    // createKafka also registers the snappy, lz4 and zstd codecs with kafkajs.
    this.kafka = createKafka({ brokers: this.brokers, clientId: 'krange-kafka-sink' });
  }

  producerConfig(transactionalId: string): ProducerConfig {
    return {
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.spec.transactionTimeout,
      allowAutoTopicCreation: false,
      createPartitioner:
        this.spec.partitioner === 'legacy' ? Partitioners.LegacyPartitioner : Partitioners.DefaultPartitioner,
    };
  }

  /** One admin client per sink (per worker), for the marker groups and the topic's metadata. */
  adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  /** The output topic's partition count; a missing topic is a configuration error. */
  partitionCount(): Promise<number> {
    this.partitions ??= (async () => {
      const admin = await this.adminClient();
      const topics = await admin.listTopics();
      if (!topics.includes(this.spec.topic))
        throw Errors.config(
          `kafka sink: output topic '${this.spec.topic}' does not exist on ${this.brokers.join(',')}; create it first (kafka-topics --create --topic ${this.spec.topic} --partitions N)`,
          { topic: this.spec.topic },
        );
      const md = await admin.fetchTopicMetadata({ topics: [this.spec.topic] });
      return md.topics[0]?.partitions.length ?? 1;
    })().catch((err: unknown) => {
      this.partitions = undefined;
      throw err;
    });
    return this.partitions;
  }

  async open(ctx: TaskContext): Promise<SinkTaskWriter> {
    return KafkaTaskWriter.open(this, ctx);
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    if (a !== undefined) await (await a.catch(() => undefined))?.disconnect().catch(() => undefined);
  }
}
