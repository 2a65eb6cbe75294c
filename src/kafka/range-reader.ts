// Reads exactly [begin, end) of one partition with plain Fetch requests on kafkajs's protocol
// layer (its Cluster and Broker classes), with no consumer group at all. kafkajs has no manual
// assignment; a throw-away group per task costs a group join per range (measured in
// ARCHITECTURE.md), and fetching directly is what Spark's KafkaDataConsumer does with assign().
// kafkajs 2.2.4 is the final release, so these internals are frozen; they are typed below.
//
// Gaps are normal: compaction removes offsets, transaction markers occupy offsets of their own, and
// aborted transactional records are dropped under read_committed. The reader advances past every
// batch it receives and stops once it reaches `end`, never waiting for an offset that won't come.

import { createRequire } from 'node:module';
import { Errors, KrangeError } from '../errors.ts';
import type { OffsetRange } from '../offset-range.ts';
import type { RawRecord } from '../record-processor.ts';

const require = createRequire(import.meta.url);

interface FetchMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
  batchContext?: { firstOffset: string; lastOffsetDelta: number };
}

interface FetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[];
  messages: FetchMessage[];
}

interface Broker {
  fetch(req: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchPartition[] }[] }>;
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<Broker>;
}

type ClusterCtor = new (opts: Record<string, unknown>) => Cluster;

const ClusterClass = require('kafkajs/src/cluster') as ClusterCtor;
const { createLogger, LEVELS } = require('kafkajs/src/loggers') as {
  createLogger: (o: { level: number; logCreator: () => (entry: unknown) => void }) => unknown;
  LEVELS: { WARN: number; NOTHING: number };
};
const socketFactory = require('kafkajs/src/network/socketFactory') as () => unknown;
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages') as (o: {
  messages: FetchMessage[];
  abortedTransactions: FetchPartition['abortedTransactions'];
}) => FetchMessage[];

export interface RangeReaderOptions {
  brokers: string[];
  clientId: string;
  isolation: 'read_committed' | 'read_uncommitted';
  /** Bytes per fetch request. */
  fetchMaxBytes: number;
}

export interface RangeReader {
  /** Yields the records of [begin, end) in offset order, in batches (one per fetch). */
  read(range: OffsetRange, signal?: AbortSignal): AsyncIterable<RawRecord[]>;
  close(): Promise<void>;
}

/** Consecutive empty fetches tolerated below `end` before the task fails (retriably). */
const MAX_EMPTY_FETCHES = 100;

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function headersOf(h: FetchMessage['headers']): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out ??= {};
    out[k] = Array.isArray(v) ? v.map((b) => b.toString('utf8')).join(',') : v.toString('utf8');
  }
  return out ?? NO_HEADERS;
}

export class FetchRangeReader implements RangeReader {
  private readonly cluster: Cluster;
  private connected: Promise<void> | undefined;
  private readonly isolationLevel: number;

  constructor(readonly opts: RangeReaderOptions) {
    this.isolationLevel = opts.isolation === 'read_committed' ? 1 : 0;
    this.cluster = new ClusterClass({
      logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
      socketFactory: socketFactory(),
      brokers: opts.brokers,
      clientId: opts.clientId,
      connectionTimeout: 5000,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      metadataMaxAge: 300_000,
      allowAutoTopicCreation: false,
      maxInFlightRequests: null,
      isolationLevel: this.isolationLevel,
      instrumentationEmitter: null,
      offsets: new Map(),
    });
  }

  private async leader(topic: string, partition: number): Promise<Broker> {
    this.connected ??= this.cluster.connect();
    await this.connected;
    await this.cluster.addTargetTopic(topic);
    let byLeader = this.cluster.findLeaderForPartitions(topic, [partition]);
    if (Object.keys(byLeader).length === 0) {
      await this.cluster.refreshMetadata();
      byLeader = this.cluster.findLeaderForPartitions(topic, [partition]);
    }
    const nodeId = Object.keys(byLeader)[0];
    if (nodeId === undefined) throw Errors.kafka('no leader for partition', { topic, partition });
    return this.cluster.findBroker({ nodeId });
  }

  private async fetchOnce(
    broker: Broker,
    topic: string,
    partition: number,
    offset: bigint,
  ): Promise<FetchPartition | undefined> {
    const res = await broker.fetch({
      replicaId: -1,
      isolationLevel: this.isolationLevel,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: this.opts.fetchMaxBytes,
      topics: [
        {
          topic,
          partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: this.opts.fetchMaxBytes }],
        },
      ],
    });
    return res.responses[0]?.partitions[0];
  }

  async *read(range: OffsetRange, signal?: AbortSignal): AsyncIterable<RawRecord[]> {
    const { topic, partition, end } = range;
    let next = range.begin;
    let empty = 0;
    let broker: Broker;
    try {
      broker = await this.leader(topic, partition);
    } catch (err) {
      throw this.fetchError(err, range, next);
    }
    // The next fetch is sent before the current batch is handed on, so the broker round trip and
    // the decoding overlap with the caller's processing (one fetch in flight at most).
    let inFlight: Promise<FetchPartition | undefined> | undefined = this.fetchOnce(
      broker,
      topic,
      partition,
      next,
    );
    while (next < end && inFlight !== undefined) {
      if (signal?.aborted) return;
      let p: FetchPartition | undefined;
      try {
        p = await inFlight;
      } catch (err) {
        throw this.fetchError(err, range, next);
      }
      inFlight = undefined;
      if (p === undefined)
        throw Errors.kafka('empty fetch response', { topic, partition, offset: next.toString() });
      const last = p.messages.at(-1);
      if (last === undefined) {
        if (BigInt(p.highWatermark) <= next && BigInt(p.lastStableOffset) <= next) {
          throw Errors.kafka(
            `the log ends at ${p.highWatermark}, before the planned end ${end} (was the topic recreated?)`,
            { topic, partition, offset: next.toString() },
            undefined,
            false,
          );
        }
        if (++empty > MAX_EMPTY_FETCHES) {
          throw Errors.kafka('no records returned for 100 fetches', {
            topic,
            partition,
            offset: next.toString(),
          });
        }
        inFlight = this.fetchOnce(broker, topic, partition, next);
        continue;
      }
      empty = 0;
      // Advance past the whole last batch received: compaction may have removed its last records
      // and transaction markers hold offsets of their own.
      const bc = last.batchContext;
      const batchEnd = (bc ? BigInt(bc.firstOffset) + BigInt(bc.lastOffsetDelta) : BigInt(last.offset)) + 1n;
      const from = next;
      next = batchEnd > next ? batchEnd : next + 1n;
      if (next < end) inFlight = this.fetchOnce(broker, topic, partition, next);
      inFlight?.catch(() => undefined);
      const messages =
        this.isolationLevel === 1 && p.abortedTransactions.length > 0
          ? filterAbortedMessages({ messages: p.messages, abortedTransactions: p.abortedTransactions })
          : p.messages;
      const out: RawRecord[] = [];
      for (const m of messages) {
        if (m.isControlRecord) continue;
        const o = BigInt(m.offset);
        if (o < from || o >= end) continue;
        out.push({
          topic,
          partition,
          offset: o,
          timestamp: Number(m.timestamp),
          key: m.key,
          value: m.value,
          headers: headersOf(m.headers),
        });
      }
      if (out.length > 0) yield out;
    }
  }

  private fetchError(err: unknown, range: OffsetRange, at: bigint): KrangeError {
    if (err instanceof KrangeError) return err;
    const type = (err as { type?: string }).type;
    const d = { topic: range.topic, partition: range.partition, offset: at.toString() };
    if (type === 'OFFSET_OUT_OF_RANGE') {
      return Errors.dataLoss({
        job: '(task)',
        topic: range.topic,
        partition: range.partition,
        from: at.toString(),
        to: range.end.toString(),
        reason: 'offset-out-of-range',
      });
    }
    return Errors.kafka(`fetch failed: ${(err as Error).message}`, d, err, true);
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.cluster.disconnect().catch(() => undefined);
  }
}
