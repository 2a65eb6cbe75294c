// Dead letters to a Kafka topic, exactly once per range like the Kafka sink (ARCHITECTURE.md): per
// task range that has bad records, a transactional producer whose id names the range (a new attempt
// fences the old one and settles its transaction), the marker groups of ranges already sent read
// after that, the other records sent, and the range's own marker (a consumer-group offset `end` on the
// source partition) committed in the same transaction. A replay of the range, or of any range
// overlapping it after `krange reset`, sends nothing twice to read_committed readers.

import type { Admin, Kafka, Producer } from 'kafkajs';
import { Errors } from '../errors.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { CODEC } from '../kafka/compression.ts';
import type { OffsetRange } from '../offset-range.ts';
import type { BadRecord } from '../records/record.ts';
import { CoveredRanges } from './covered-ranges.ts';
import type { DeadLetterTarget } from './dead-letter-target.ts';

export interface DeadLetterTopicSpec {
  topic: string;
  compression: keyof typeof CODEC;
}

function markerPrefix(job: string, dlTopic: string, topic: string, partition: number): string {
  return `krange-dead-letter.${job}.${dlTopic}.${topic}.${partition}.`;
}

function parseMarker(prefix: string, groupId: string): { begin: bigint; end: bigint } | undefined {
  if (!groupId.startsWith(prefix)) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(groupId.slice(prefix.length));
  return m === null ? undefined : { begin: BigInt(m[1]!), end: BigInt(m[2]!) };
}

function message(job: string, b: BadRecord) {
  return {
    key: `${b.topic}:${b.partition}:${b.offset}`,
    value: b.value,
    headers: {
      'krange.job': job,
      'krange.topic': b.topic,
      'krange.partition': String(b.partition),
      'krange.offset': b.offset,
      'krange.stage': b.stage,
      'krange.sink': b.sink ?? '',
      'krange.field': b.field ?? '',
      'krange.error': b.reason,
    },
  };
}

/** The topic is missing: say which, which option named it, and what to do. */
function missingDeadLetterTopic(topic: string, brokers?: string): Error {
  return Errors.config(
    `dead-letter topic '${topic}' (set by the job's onBadRecord.deadLetter.topic) does not exist` +
      (brokers === undefined ? '' : ` on ${brokers}`) +
      `; create it (kafka-topics --create --topic ${topic}) or change the job's onBadRecord`,
    { topic },
  );
}

/** Refuses a job whose dead-letter topic does not exist, before any task runs (plan and run). */
export async function checkDeadLetterTopic(admin: Admin, spec: JobSpec): Promise<void> {
  const policy = spec.onBadRecord;
  if (typeof policy === 'string' || !('topic' in policy.deadLetter)) return;
  const { topic } = policy.deadLetter;
  if (!(await admin.listTopics()).includes(topic)) throw missingDeadLetterTopic(topic);
}

export function deadLetterTopic(spec: DeadLetterTopicSpec, kafka: Kafka, brokers: string): DeadLetterTarget {
  let checked: Promise<void> | undefined;
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  const connect = (): Promise<void> => {
    connected ??= admin.connect().catch((err: unknown) => {
      connected = undefined;
      throw err;
    });
    return connected;
  };
  const checkTopic = (): Promise<void> => {
    checked ??= (async () => {
      await connect();
      if (!(await admin.listTopics()).includes(spec.topic)) throw missingDeadLetterTopic(spec.topic, brokers);
    })().catch((err: unknown) => {
      checked = undefined;
      throw err;
    });
    return checked;
  };

  async function sentRanges(job: string, range: OffsetRange): Promise<CoveredRanges> {
    const prefix = markerPrefix(job, spec.topic, range.topic, range.partition);
    const { groups } = await admin.listGroups();
    const out = [];
    for (const g of groups) {
      const r = parseMarker(prefix, g.groupId);
      if (r === undefined || r.begin >= range.end || r.end <= range.begin) continue;
      // A group appears as soon as a transaction added offsets to it; only a committed offset counts.
      const [t] = await admin.fetchOffsets({ groupId: g.groupId, topics: [range.topic] });
      const p = t?.partitions.find((x) => x.partition === range.partition);
      if (p !== undefined && BigInt(p.offset) === r.end) out.push(r);
    }
    return new CoveredRanges(out);
  }

  return {
    async write(job, range, records) {
      if (records.length === 0) return;
      await checkTopic();
      const id = `krange-dead-letter.${job}.${spec.topic}.${range.topic}.${range.partition}.${range.begin}`;
      const producer: Producer = kafka.producer({
        transactionalId: id,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      try {
        const txn = await producer.transaction();
        try {
          const covered = await sentRanges(job, range);
          const fresh = covered.isEmpty ? records : records.filter((b) => !covered.covers(BigInt(b.offset)));
          if (fresh.length === 0) {
            await txn.abort();
            return;
          }
          await txn.send({
            topic: spec.topic,
            acks: -1,
            compression: CODEC[spec.compression],
            messages: fresh.map((b) => message(job, b)),
          });
          await txn.sendOffsets({
            consumerGroupId: `${markerPrefix(job, spec.topic, range.topic, range.partition)}${range.begin}-${range.end}`,
            topics: [
              {
                topic: range.topic,
                partitions: [{ partition: range.partition, offset: range.end.toString() }],
              },
            ],
          });
          await txn.commit();
        } catch (err) {
          if (txn.isActive()) await txn.abort().catch(() => undefined);
          throw err;
        }
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    },
    async close() {
      if (connected !== undefined) await admin.disconnect().catch(() => undefined);
    },
  };
}
