// The onBadRecord policy: 'fail' stops the task with an error naming the record; 'skip' counts it;
// 'deadLetter' also writes its raw bytes, the error and its coordinates to a dead-letter topic
// (dead-letter-topic.ts: exactly once per range, in a Kafka transaction) or to a JSONL file per
// task range (dead-letter-file.ts: replaced on replay). Either way a replay, even after
// `krange reset`, leaves each bad record listed once.

import type { Kafka } from 'kafkajs';
import { Errors } from '../errors.ts';
import { resolveLocation } from '../fs/resolve-location.ts';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { BadRecordPolicy } from '../job/job-spec.ts';
import type { BadRecord } from '../records/record.ts';
import { deadLetterFile } from './dead-letter-file.ts';
import type { DeadLetterTarget } from './dead-letter-target.ts';
import { deadLetterTopic } from './dead-letter-topic.ts';
import type { TaskContext } from './sink.ts';

export type { DeadLetterTarget };

export function badRecordError(b: BadRecord) {
  return Errors.badRecord({
    topic: b.topic,
    partition: b.partition,
    offset: b.offset,
    ...(b.field === undefined ? {} : { field: b.field }),
    reason: b.reason,
  });
}

/**
 * A task's `TaskContext.reject` for the sink named `sink`: a row that sink's server refused becomes
 * a bad record of stage `sink` under the job's onBadRecord policy: 'fail' throws KRANGE_BAD_RECORD
 * naming it; otherwise it is added to `bad` (counted, and dead-lettered with the task's other bad
 * records, naming the sink). The row stays in the job's other sinks: see README "Bad records".
 */
export function sinkRejection(
  policy: BadRecordPolicy,
  bad: BadRecord[],
  sink?: string,
): TaskContext['reject'] {
  return (r, reason, field) => {
    const b: BadRecord = {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset.toString(),
      stage: 'sink',
      ...(sink === undefined ? {} : { sink }),
      reason,
      key: null,
      // The raw Kafka bytes are gone by now: the dead letter carries the row the sink refused.
      value: Buffer.from(
        JSON.stringify(r.row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      ),
      ...(field === undefined ? {} : { field }),
    };
    if (policy === 'fail') throw badRecordError(b);
    bad.push(b);
  };
}

/**
 * `kafka`: a client of the job's cluster, whose `brokers` are named in errors (made only when a
 * topic is the target).
 */
export function deadLetterTarget(
  policy: BadRecordPolicy,
  kafka: () => Kafka,
  brokers: string[],
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'retryBudgetMs'>,
): DeadLetterTarget | undefined {
  if (typeof policy === 'string') return undefined;
  const dl = policy.deadLetter;
  if ('topic' in dl) return deadLetterTopic(dl, kafka(), brokers.join(','));
  return deadLetterFile(resolveLocation(dl.path, endpoints));
}
