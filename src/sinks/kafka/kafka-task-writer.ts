// One task's side of the Kafka sink: fence and settle earlier attempts (the transactional id is
// the task's), read which parts of the range are already produced (marker groups), then send the
// other rows in one transaction that also commits this range's marker; commit() commits it.

import {
  type Admin,
  CompressionTypes,
  type Kafka,
  type Producer,
  type ProducerConfig,
  type Transaction,
} from 'kafkajs';
import { Errors, KrangeError } from '../../errors.ts';
import type { KafkaSinkSpec } from '../../job/job-spec.ts';
import { LogEvents } from '../../log-events.ts';
import { CoveredRanges } from '../covered-ranges.ts';
import type { SinkRow, SinkTaskStats, SinkTaskWriter, TaskContext } from '../sink.ts';
import {
  buildMessage,
  markerGroup,
  markerGroupPrefix,
  messageBytes,
  type OutMessage,
  parseMarkerGroup,
  transactionalId,
} from './kafka-messages.ts';

const COMPRESSION: Record<KafkaSinkSpec['compression'], CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Bytes of records per produce request (below the broker's default message.max.bytes of 1 MiB). */
const SEND_MAX_BYTES = 768 * 1024;
/** Per-record framing in a record batch (length, attributes, deltas, header counts), rounded up. */
const RECORD_OVERHEAD = 24;

/** What a task writer needs of its KafkaSink. */
export interface KafkaSinkHandle {
  readonly spec: KafkaSinkSpec;
  readonly name: string;
  readonly brokers: string[];
  readonly target: string;
  readonly kafka: Kafka;
  producerConfig(transactionalId: string): ProducerConfig;
  adminClient(): Promise<Admin>;
  partitionCount(): Promise<number>;
}

/** The ranges of the source partition already produced by this job to this topic, overlapping [begin, end). */
async function producedRanges(sink: KafkaSinkHandle, ctx: TaskContext): Promise<CoveredRanges> {
  const admin = await sink.adminClient();
  const prefix = markerGroupPrefix(ctx.job, sink.spec.topic, ctx.topic, ctx.partition);
  const { groups } = await admin.listGroups();
  const candidates = groups
    .map((g) => ({ id: g.groupId, range: parseMarkerGroup(prefix, g.groupId) }))
    .filter((g) => g.range !== undefined && g.range.begin < ctx.end && g.range.end > ctx.begin);
  const ranges = [];
  for (const c of candidates) {
    // A group exists as soon as a transaction added offsets to it; only a committed offset counts.
    const [t] = await admin.fetchOffsets({ groupId: c.id, topics: [ctx.topic] });
    const p = t?.partitions.find((x) => x.partition === ctx.partition);
    if (p !== undefined && BigInt(p.offset) === c.range!.end) ranges.push(c.range!);
  }
  return new CoveredRanges(ranges);
}

function kafkaFailure(sink: KafkaSinkHandle, ctx: TaskContext, what: string, err: unknown): KrangeError {
  if (err instanceof KrangeError) return err;
  const e = err as Error & { retriable?: boolean; type?: string };
  const fenced =
    e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED' || /fenced/i.test(e.message);
  return Errors.sink(
    sink.name,
    `${what} for task ${ctx.taskId} on ${sink.brokers.join(',')} failed: ${e.message}` +
      (fenced
        ? '. A newer attempt of this task took over its transactional id; this attempt stops'
        : '. Nothing of this attempt is visible to read_committed readers; the task is tried again'),
    { task: ctx.taskId, topic: ctx.topic, partition: ctx.partition, outputTopic: sink.spec.topic },
    err,
    !fenced,
  );
}

export class KafkaTaskWriter implements SinkTaskWriter {
  private pending: { row: SinkRow; msg: OutMessage }[] = [];
  private readonly started = performance.now();
  private pendingBytes = 0;
  private rows = 0;
  private bytes = 0;
  private skipped = 0;
  private finished = false;

  private constructor(
    private readonly sink: KafkaSinkHandle,
    private readonly ctx: TaskContext,
    private readonly producer: Producer,
    private readonly txn: Transaction,
    private readonly covered: CoveredRanges,
    private readonly partitions: number,
  ) {}

  static async open(sink: KafkaSinkHandle, ctx: TaskContext): Promise<KafkaTaskWriter> {
    const partitions = await sink.partitionCount();
    const id = transactionalId(ctx.job, sink.spec.topic, ctx.topic, ctx.partition, ctx.begin);
    const producer = sink.kafka.producer(sink.producerConfig(id));
    try {
      await producer.connect();
      // InitProducerId with our id: an earlier attempt's open transaction is aborted, a commit it
      // had started is completed, and that producer is fenced. Only then are the markers final.
      const txn = await producer.transaction();
      const covered = await producedRanges(sink, ctx);
      if (!covered.isEmpty)
        ctx.logger.info(
          { sink: sink.name, task: ctx.taskId, produced: covered.toString() },
          `kafka: offsets ${covered.toString()} of ${ctx.topic}[${ctx.partition}] were already produced to '${sink.spec.topic}'; their rows are skipped`,
        );
      return new KafkaTaskWriter(sink, ctx, producer, txn, covered, partitions);
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw kafkaFailure(sink, ctx, 'starting the transaction', err);
    }
  }

  async write(batch: SinkRow[]): Promise<void> {
    for (const r of batch) {
      if (!this.covered.isEmpty && this.covered.covers(r.offset)) {
        this.skipped++;
        continue;
      }
      let msg: OutMessage;
      try {
        msg = buildMessage(this.sink.spec, r, this.partitions);
      } catch (err) {
        this.ctx.reject(
          r,
          `cannot build the Kafka record for '${this.sink.spec.topic}': ${(err as Error).message}`,
        );
        continue;
      }
      const bytes = messageBytes(msg);
      if (bytes > this.sink.spec.maxMessageBytes) {
        this.ctx.reject(
          r,
          `the Kafka record is ${bytes} bytes, over maxMessageBytes ${this.sink.spec.maxMessageBytes} of the kafka sink '${this.sink.spec.topic}'`,
        );
        continue;
      }
      // A produce request carries one record batch per partition, and the broker refuses a batch
      // over its message.max.bytes (1 MiB by default): keep a request well under that, whichever
      // partitions the records go to.
      if (this.pendingBytes + bytes + RECORD_OVERHEAD > SEND_MAX_BYTES) await this.flush();
      this.bytes += bytes;
      this.pendingBytes += bytes + RECORD_OVERHEAD;
      this.pending.push({ row: r, msg });
      if (this.pending.length >= this.sink.spec.batchSize) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const started = performance.now();
    try {
      await this.txn.send({
        topic: this.sink.spec.topic,
        acks: -1,
        compression: COMPRESSION[this.sink.spec.compression],
        messages: batch.map((b) => b.msg),
      });
    } catch (err) {
      throw kafkaFailure(this.sink, this.ctx, `producing ${batch.length} record(s)`, err);
    }
    this.rows += batch.length;
    this.ctx.logger.debug({
      event: LogEvents.sinkFlushed,
      sink: this.sink.name,
      task: this.ctx.taskId,
      rows: batch.length,
      ms: Math.round(performance.now() - started),
    });
  }

  async commit(): Promise<SinkTaskStats> {
    try {
      await this.flush();
      const { ctx } = this;
      if (ctx.end > ctx.begin && this.covered.coversAll(ctx.begin, ctx.end)) {
        await this.txn.abort();
      } else {
        await this.txn.sendOffsets({
          consumerGroupId: markerGroup(
            ctx.job,
            this.sink.spec.topic,
            ctx.topic,
            ctx.partition,
            ctx.begin,
            ctx.end,
          ),
          topics: [
            { topic: ctx.topic, partitions: [{ partition: ctx.partition, offset: ctx.end.toString() }] },
          ],
        });
        await this.txn.commit();
      }
    } catch (err) {
      await this.abort();
      throw kafkaFailure(this.sink, this.ctx, 'committing the transaction', err);
    }
    await this.close();
    if (this.skipped > 0)
      this.ctx.logger.info(
        { sink: this.sink.name, task: this.ctx.taskId, skipped: this.skipped },
        `kafka: ${this.skipped} row(s) of already produced offsets skipped`,
      );
    return {
      rows: this.rows,
      bytes: this.bytes,
      durationMs: Math.round(performance.now() - this.started),
      files: [this.sink.target],
    };
  }

  private async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.producer.disconnect().catch(() => undefined);
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.pending = [];
    if (this.txn.isActive()) await this.txn.abort().catch(() => undefined);
    await this.close();
  }
}
