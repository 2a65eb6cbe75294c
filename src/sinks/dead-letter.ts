// The onBadRecord policy: 'fail' stops the task with an error naming the record; 'skip' counts it;
// 'deadLetter' also writes its raw bytes, the error and its coordinates to a dead-letter topic
// (keyed by coordinates, so a compacted topic keeps one copy across reruns) or to a JSONL file per
// task (a deterministic name, so a rerun replaces it).

import { Readable } from 'node:stream';
import type { Producer } from 'kafkajs';
import { Errors } from '../errors.ts';
import { resolveLocation } from '../fs/resolve-location.ts';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { BadRecordPolicy } from '../job/job-spec.ts';
import { CODEC } from '../kafka/compression.ts';
import type { BadRecord } from '../records/record.ts';
import type { TaskContext } from './sink.ts';

export interface DeadLetterTarget {
  /** Writes the task's bad records (called once per task, before the sinks commit). */
  write(job: string, iteration: number, taskId: string, records: BadRecord[]): Promise<void>;
  close(): Promise<void>;
}

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
 * A task's `TaskContext.reject`: a row a sink's server refused becomes a bad record of stage `sink`
 * under the job's onBadRecord policy: 'fail' throws KRANGE_BAD_RECORD naming it; otherwise it is
 * added to `bad` (counted, and dead-lettered with the task's other bad records).
 */
export function sinkRejection(policy: BadRecordPolicy, bad: BadRecord[]): TaskContext['reject'] {
  return (r, reason, field) => {
    const b: BadRecord = {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset.toString(),
      stage: 'sink',
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

function toJsonLine(job: string, b: BadRecord): string {
  return JSON.stringify({
    job,
    topic: b.topic,
    partition: b.partition,
    offset: b.offset,
    stage: b.stage,
    field: b.field ?? null,
    error: b.reason,
    key: b.key?.toString('base64') ?? null,
    value: b.value?.toString('base64') ?? null,
  });
}

export function deadLetterTarget(
  policy: BadRecordPolicy,
  producer: () => Promise<Producer>,
  endpoints: Pick<ServiceEndpoints, 'webhdfsUrl' | 'hdfsUser' | 'retryBudgetMs'>,
): DeadLetterTarget | undefined {
  if (typeof policy === 'string') return undefined;
  const dl = policy.deadLetter;
  if ('topic' in dl) {
    return {
      async write(job, _iteration, _taskId, records) {
        if (records.length === 0) return;
        const p = await producer();
        await p.send({
          topic: dl.topic,
          compression: CODEC[dl.compression],
          messages: records.map((b) => ({
            key: `${b.topic}:${b.partition}:${b.offset}`,
            value: b.value,
            headers: {
              'krange.job': job,
              'krange.topic': b.topic,
              'krange.partition': String(b.partition),
              'krange.offset': b.offset,
              'krange.stage': b.stage,
              'krange.field': b.field ?? '',
              'krange.error': b.reason,
            },
          })),
        });
      },
      async close() {},
    };
  }
  const loc = resolveLocation(dl.path, endpoints);
  return {
    async write(job, iteration, taskId, records) {
      if (records.length === 0) return;
      const body = `${records.map((b) => toJsonLine(job, b)).join('\n')}\n`;
      const path = `${loc.path}/${job}/${iteration}/${taskId}.jsonl`;
      await loc.fs.writeStream(path, Readable.from([Buffer.from(body)]));
    },
    async close() {},
  };
}
