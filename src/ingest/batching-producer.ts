// Records from concurrent HTTP requests are gathered into Kafka produce calls: a call starts when
// `lingerMs` has passed since the first waiting record or `batchMaxBytes` are waiting. One call is
// in flight at a time (the idempotent producer's sequence numbers require it), so under load the
// records that arrive during a call form the next, larger batch. Each record learns its own
// partition and offset: the gateway picks partitions itself (kafkajs's partitioner), so a record's
// offset is its partition's base offset plus its place in that partition's batch.

import { CompressionTypes, type Message, Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import type { TopicCatalog } from './topic-catalog.ts';

export interface OutRecord {
  topic: string;
  /** Explicit partition; else by key hash (murmur2, as Java clients), or spread when keyless. */
  partition?: number | undefined;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer> | undefined;
  /** Create time, ms since the epoch. */
  timestamp: number;
}

export type Delivery =
  | { ok: true; partition: number; offset: string; timestamp: number }
  | { ok: false; retriable: boolean; message: string };

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const compressionTypes: Record<CompressionName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

export interface BatchingOptions {
  lingerMs: number;
  batchMaxBytes: number;
  compression: CompressionName;
}

/** The records of one send() call: one promise per call, not per record (fewer allocations). */
class Group {
  readonly results: Delivery[];
  private left: number;

  constructor(
    n: number,
    private readonly done: (d: Delivery[]) => void,
  ) {
    this.results = new Array<Delivery>(n);
    this.left = n;
  }

  settle(i: number, d: Delivery): void {
    this.results[i] = d;
    if (--this.left === 0) this.done(this.results);
  }
}

interface Pending {
  rec: OutRecord;
  size: number;
  group: Group;
  index: number;
}

/** Bytes a record takes in a batch: payload plus a fixed allowance for the record framing. */
export function recordSize(r: Pick<OutRecord, 'key' | 'value' | 'headers'>): number {
  let n = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers !== undefined) for (const [k, v] of Object.entries(r.headers)) n += k.length + v.length + 8;
  return n;
}

export class BatchingProducer {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly producer: Producer,
    private readonly catalog: TopicCatalog,
    private readonly opts: BatchingOptions,
    private readonly onProduceError: (err: Error) => void = () => {},
  ) {}

  /** Queues the records; resolves once Kafka acknowledged (acks=all) or refused each of them. */
  send(records: OutRecord[]): Promise<Delivery[]> {
    if (records.length === 0) return Promise.resolve([]);
    const all = new Promise<Delivery[]>((resolve) => {
      const group = new Group(records.length, resolve);
      records.forEach((rec, index) => {
        const size = recordSize(rec);
        this.queue.push({ rec, size, group, index });
        this.queuedBytes += size;
      });
    });
    this.schedule();
    return all;
  }

  /** Sends everything queued and waits for the call in flight. */
  async drain(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running !== undefined || this.queue.length > 0) {
      if (this.running === undefined) this.run();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.running !== undefined) return; // the loop picks the queue up when the call returns
    if (this.queuedBytes >= this.opts.batchMaxBytes || this.opts.lingerMs === 0) {
      this.run();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.running === undefined) this.run();
      }, this.opts.lingerMs);
    }
  }

  private run(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = (async () => {
      while (this.queue.length > 0) await this.flushOnce();
    })().finally(() => {
      this.running = undefined;
    });
  }

  private take(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (
      n < this.queue.length &&
      (n === 0 || bytes + (this.queue[n] as Pending).size <= this.opts.batchMaxBytes)
    ) {
      bytes += (this.queue[n] as Pending).size;
      n++;
    }
    const batch = this.queue.splice(0, n);
    this.queuedBytes -= bytes;
    return batch;
  }

  private async flushOnce(): Promise<void> {
    const batch = this.take();
    // Per topic-partition, the records in the order they will be written.
    const byTp = new Map<string, { topic: string; partition: number; items: Pending[] }>();
    const ready: Pending[] = [];
    const metadata = new Map<string, PartitionMetadata[] | undefined>();
    for (const p of batch) {
      let partition = p.rec.partition;
      if (partition === undefined) {
        let parts = metadata.get(p.rec.topic);
        if (!metadata.has(p.rec.topic)) {
          parts = await this.catalog.partitions(p.rec.topic).catch(() => undefined);
          metadata.set(p.rec.topic, parts);
        }
        if (parts === undefined) {
          p.group.settle(p.index, {
            ok: false,
            retriable: true,
            message: `no metadata for topic '${p.rec.topic}'`,
          });
          continue;
        }
        partition = this.partitioner({
          topic: p.rec.topic,
          partitionMetadata: parts,
          message: { key: p.rec.key, value: p.rec.value },
        });
      }
      const k = `${partition}\u0000${p.rec.topic}`;
      let tp = byTp.get(k);
      if (tp === undefined) {
        tp = { topic: p.rec.topic, partition, items: [] };
        byTp.set(k, tp);
      }
      tp.items.push(p);
      ready.push(p);
    }
    if (ready.length === 0) return;
    const topicMessages = new Map<string, Message[]>();
    for (const tp of byTp.values()) {
      const msgs = topicMessages.get(tp.topic) ?? [];
      for (const p of tp.items) {
        msgs.push({
          partition: tp.partition,
          key: p.rec.key,
          value: p.rec.value,
          timestamp: String(p.rec.timestamp),
          ...(p.rec.headers === undefined ? {} : { headers: p.rec.headers }),
        });
      }
      topicMessages.set(tp.topic, msgs);
    }
    try {
      const meta = await this.producer.sendBatch({
        acks: -1,
        compression: compressionTypes[this.opts.compression],
        topicMessages: [...topicMessages].map(([topic, messages]) => ({ topic, messages })),
      });
      const base = new Map(meta.map((m) => [`${m.partition}\u0000${m.topicName}`, m]));
      for (const [k, tp] of byTp) {
        const m = base.get(k);
        const first = m?.baseOffset === undefined ? undefined : BigInt(m.baseOffset);
        tp.items.forEach((p, i) => {
          if (first === undefined) {
            p.group.settle(p.index, {
              ok: false,
              retriable: true,
              message: 'Kafka answered without an offset for this partition',
            });
          } else {
            p.group.settle(p.index, {
              ok: true,
              partition: tp.partition,
              offset: (first + BigInt(i)).toString(),
              timestamp: p.rec.timestamp,
            });
          }
        });
      }
    } catch (err) {
      this.onProduceError(err as Error);
      const retriable = (err as { retriable?: unknown }).retriable !== false;
      for (const p of ready)
        p.group.settle(p.index, { ok: false, retriable, message: (err as Error).message });
    }
  }
}
