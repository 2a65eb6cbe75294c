// The aggregator's kafkajs consumer-group member: joined with the job's isolation and the group
// timings, Kafka's own offset commits off (offsets live in PostgreSQL), each batch handed to the
// aggregator unresolved. A crash kafkajs cannot restart is fatal; one it restarts is logged.

import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors, type KrangeError } from '../errors.ts';
import type { JobSpec } from '../job/job-spec.ts';

export interface GroupTimings {
  /** kafkajs group timings, ms (defaults 30 000 / 3 000 / 60 000). */
  sessionTimeout?: number | undefined;
  heartbeatInterval?: number | undefined;
  rebalanceTimeout?: number | undefined;
}

export interface GroupMember {
  kafka: Kafka;
  admin: () => Promise<Admin>;
  spec: JobSpec;
  groupId: string;
  timings: GroupTimings;
  log: Logger;
  /** A new generation's assignment, by topic. */
  onAssignment: (assignment: Record<string, number[] | undefined>) => void;
  eachBatch: (p: EachBatchPayload) => Promise<void>;
  fatal: (err: KrangeError) => void;
}

/**
 * Checks the job's named topics exist (a missing topic is a mistake to report, not an outage to
 * wait out), then joins the group and starts consuming. On failure the consumer is dropped so the
 * caller's retry makes a new one.
 */
export async function joinGroup(m: GroupMember): Promise<Consumer> {
  const { spec } = m;
  if (Array.isArray(spec.topics)) {
    const existing = new Set(await (await m.admin()).listTopics());
    const missing = spec.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw Errors.config(`job '${spec.name}': topic(s) ${missing.join(', ')} do not exist`, {
        job: spec.name,
      });
    }
  }
  const consumer = m.kafka.consumer({
    groupId: m.groupId,
    sessionTimeout: m.timings.sessionTimeout ?? 30_000,
    heartbeatInterval: m.timings.heartbeatInterval ?? 3000,
    rebalanceTimeout: m.timings.rebalanceTimeout ?? 60_000,
    maxWaitTimeInMs: 1000,
    allowAutoTopicCreation: false,
    readUncommitted: spec.kafka.isolation === 'read_uncommitted',
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => m.onAssignment(e.payload.memberAssignment));
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) {
      m.fatal(
        Errors.kafka(
          `consumer of group '${m.groupId}' crashed: ${e.payload.error.message}`,
          {},
          e.payload.error,
          false,
        ),
      );
    } else m.log.warn({ err: e.payload.error.message }, 'kafka consumer crashed; kafkajs restarts it');
  });
  try {
    await consumer.connect();
    await consumer.subscribe({
      topics: Array.isArray(spec.topics) ? spec.topics : [spec.topics],
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: m.eachBatch,
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  return consumer;
}
