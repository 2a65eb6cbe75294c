// Reads exactly [begin, end) of one partition with plain Fetch requests on kafkajs's protocol
// layer (its Cluster and Broker classes), with no consumer group at all. kafkajs has no manual
// assignment; a throw-away group per task costs a group join per range (measured in
// ARCHITECTURE.md), and fetching directly is what Spark's KafkaDataConsumer does with assign().
// kafkajs 2.2.4 is the final release, so these internals are frozen; they are typed below.
// kafkajs encodes each request and owns the connection; the response is decoded here, in place
// (fetch-response.ts, record-batch.ts), without kafkajs's per-record objects.
//
// Gaps are normal: compaction removes offsets, transaction markers occupy offsets of their own, and
// aborted transactional records are dropped under read_committed. The reader advances past every
// batch it receives and stops once it reaches `end`, never waiting for an offset that won't come.

import { createRequire } from 'node:module';
import { Errors, KrangeError } from '../errors.ts';
import type { OffsetRange } from '../offset-range.ts';
import type { RawRecord } from '../records/record.ts';
import { FETCH_MAX_VERSION, FETCH_MIN_VERSION, readFetchResponse } from './fetch-response.ts';
import { decodeRecordBatches, type FetchedRecord } from './record-batch.ts';

const require = createRequire(import.meta.url);

interface ProtocolRequest {
  request: { apiVersion: number };
  response: { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

interface Broker {
  /** Builds a request of the highest version both kafkajs and the broker support. */
  lookupRequest(apiKey: number, definition: unknown): (args: Record<string, unknown>) => ProtocolRequest;
  connectionPool: { send(r: ProtocolRequest): Promise<unknown> };
  disconnect(): Promise<void>;
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
const FetchRequests = require('kafkajs/src/protocol/requests/fetch') as unknown;
const { Fetch: FETCH_API_KEY } = require('kafkajs/src/protocol/requests/apiKeys') as { Fetch: number };
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type?: string };
};

/** Hands the raw response payload back: it is decoded in place by fetch-response.ts and record-batch.ts. */
const RAW_RESPONSE: ProtocolRequest['response'] = {
  decode: async (payload) => payload,
  parse: async (data) => data,
};

/** One fetch's outcome for our partition. */
interface Fetched {
  highWatermark: bigint;
  lastStableOffset: bigint;
  records: FetchedRecord[];
  nextOffset: bigint | undefined;
}

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

  /**
   * One Fetch request for [offset, ...) of one partition, sent with kafkajs's request encoder and
   * connection, its response decoded here (kafkajs's decoder is bypassed: see record-batch.ts).
   */
  private async fetchOnce(
    broker: Broker,
    topic: string,
    partition: number,
    offset: bigint,
    end: bigint,
  ): Promise<Fetched> {
    const request = broker.lookupRequest(
      FETCH_API_KEY,
      FetchRequests,
    )({
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
      rackId: '',
    });
    const version = request.request.apiVersion;
    if (version < FETCH_MIN_VERSION || version > FETCH_MAX_VERSION) {
      throw Errors.kafka(
        `the broker offers Fetch v${version}; krange needs v${FETCH_MIN_VERSION}-v${FETCH_MAX_VERSION} (Kafka 0.11 or later)`,
        { topic, partition },
        undefined,
        false,
      );
    }
    let payload: Buffer;
    try {
      payload = (await broker.connectionPool.send({ ...request, response: RAW_RESPONSE })) as Buffer;
    } catch (err) {
      // As kafkajs's Broker does: a closed connection is dropped so the next request reconnects.
      if ((err as Error).name === 'KafkaJSConnectionClosedError') await broker.disconnect();
      throw err;
    }
    const header = readFetchResponse(payload, version, topic, partition);
    if (header === undefined)
      throw Errors.kafka('the fetch response does not mention the partition', { topic, partition });
    if (header.errorCode !== 0) throw createErrorFromCode(header.errorCode);
    const { records, nextOffset } = await decodeRecordBatches(
      payload,
      header.recordsStart,
      header.recordsEnd,
      {
        topic,
        partition,
        from: offset,
        end,
        readCommitted: this.isolationLevel === 1,
        abortedTransactions: header.abortedTransactions,
      },
    );
    return {
      highWatermark: header.highWatermark,
      lastStableOffset: header.lastStableOffset,
      records,
      nextOffset,
    };
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
    let inFlight: Promise<Fetched> | undefined = this.fetchOnce(broker, topic, partition, next, end);
    while (next < end && inFlight !== undefined) {
      if (signal?.aborted) return;
      let f: Fetched;
      try {
        f = await inFlight;
      } catch (err) {
        throw this.fetchError(err, range, next);
      }
      inFlight = undefined;
      if (f.nextOffset === undefined) {
        if (f.highWatermark <= next && f.lastStableOffset <= next) {
          throw Errors.kafka(
            `the log ends at ${f.highWatermark}, before the planned end ${end} (was the topic recreated?)`,
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
        inFlight = this.fetchOnce(broker, topic, partition, next, end);
        continue;
      }
      empty = 0;
      // Advance past the whole last batch received: compaction may have removed its last records
      // and transaction markers hold offsets of their own.
      next = f.nextOffset > next ? f.nextOffset : next + 1n;
      if (next < end) {
        inFlight = this.fetchOnce(broker, topic, partition, next, end);
        inFlight.catch(() => undefined);
      }
      if (f.records.length > 0) yield f.records;
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
