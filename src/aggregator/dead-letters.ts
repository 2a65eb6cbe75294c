// Records the aggregator sets aside, sent before the flush transaction that advances past them:
// bad records through the job's onBadRecord target (as the batch job does), late rows to the
// `late.deadLetter` topic. A crash between the two replays them: bad records are then sent once
// (the target is exactly once per range), late rows at least once, keyed by their coordinates (a
// compacted topic keeps one copy).

import type { Kafka, Producer } from 'kafkajs';
import type { ServiceEndpoints } from '../job/endpoints.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { CODEC } from '../kafka/compression.ts';
import { jobBrokers } from '../kafka/kafka-client.ts';
import { type DeadLetterTarget, deadLetterTarget } from '../sinks/dead-letter.ts';
import type { LateRow, PartitionSnapshot } from './partition-state.ts';

export class DeadLetters {
  private readonly bad: DeadLetterTarget | undefined;
  private readonly lateTopic: string | undefined;
  private readonly lateCompression: number;

  constructor(
    private readonly spec: JobSpec,
    kafka: Kafka,
    private readonly producer: () => Promise<Producer>,
    endpoints: ServiceEndpoints,
  ) {
    this.bad = deadLetterTarget(spec.onBadRecord, () => kafka, jobBrokers(spec, endpoints), endpoints);
    const late = spec.aggregate?.late;
    this.lateTopic = typeof late === 'object' ? late.deadLetter.topic : undefined;
    this.lateCompression = typeof late === 'object' ? CODEC[late.deadLetter.compression] : CODEC.none;
  }

  /** Whether late rows are kept for a topic (else they are only counted). */
  get keepsLate(): boolean {
    return this.lateTopic !== undefined;
  }

  /** Whether bad records are kept for a target (else skipped, or fatal under 'fail'). */
  get keepsBad(): boolean {
    return this.bad !== undefined;
  }

  async close(): Promise<void> {
    await this.bad?.close().catch(() => undefined);
  }

  async send(snaps: readonly PartitionSnapshot[]): Promise<void> {
    for (const s of snaps) {
      const first = s.bad[0];
      const last = s.bad[s.bad.length - 1];
      if (this.bad !== undefined && first !== undefined && last !== undefined) {
        // The batch job's target takes a task's range; here the range of the flushed bad records.
        const range = {
          topic: s.topic,
          partition: s.partition,
          begin: BigInt(first.offset),
          end: BigInt(last.offset) + 1n,
        };
        await this.bad.write(this.spec.name, range, s.bad);
      }
    }
    const late = snaps.flatMap((s) => s.late);
    if (this.lateTopic === undefined || late.length === 0) return;
    const p = await this.producer();
    await p.send({
      topic: this.lateTopic,
      compression: this.lateCompression,
      messages: late.map((l) => lateMessage(this.spec.name, l)),
    });
  }
}

function lateMessage(job: string, l: LateRow) {
  return {
    key: `${l.topic}:${l.partition}:${l.offset}:${l.seq}`,
    value: l.value,
    headers: {
      'krange.job': job,
      'krange.topic': l.topic,
      'krange.partition': String(l.partition),
      'krange.offset': l.offset,
      'krange.stage': 'late',
      'krange.event-time': new Date(l.eventTime).toISOString(),
      'krange.watermark': new Date(l.watermark).toISOString(),
    },
  };
}
