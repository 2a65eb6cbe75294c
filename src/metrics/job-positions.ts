// Where each batch job stands against Kafka: the committed position of every partition (end of the
// newest committed iteration, from the state files) beside Kafka's log end, and the lag between
// them. Read on demand by /metrics and the console; log ends are cached briefly so that many
// viewers and scrapes cost one Kafka round trip per topic.

import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { serviceEndpoints } from '../job/endpoints.ts';
import { createKafka, fetchWatermarks } from '../kafka/kafka-client.ts';
import { StateStore } from '../state/state-store.ts';

export interface PartitionPosition {
  topic: string;
  partition: number;
  /** Next offset the job reads; null before its first commit. */
  committed: string | null;
  /** Kafka's log end offset; null when Kafka could not be asked. */
  logEnd: string | null;
  /** logEnd - committed, or null when either is unknown. */
  lag: number | null;
}

export interface JobPositions {
  job: string;
  partitions: PartitionPosition[];
  /** Sum of the known lags; null when no partition's lag is known. */
  totalLag: number | null;
}

interface Cached {
  at: number;
  marks: Map<string, bigint>;
}

export class PositionTracker {
  private admins = new Map<string, Promise<Admin>>();
  private cache = new Map<string, Cached>();

  constructor(
    private readonly opts: {
      stateRoot?: string | undefined;
      /** A job's own state store (its `stateStore`), when it names one. */
      storeOf?: (job: string) => string | undefined;
      logger?: Logger | undefined;
      /** Brokers of a job that names its own (default: the local stack / KRANGE_KAFKA_BROKERS). */
      brokersOf?: (job: string) => string[] | undefined;
      /** Topics of a job before its first commit. */
      topicsOf?: (job: string) => string[] | undefined;
      maxAgeMs?: number;
    } = {},
  ) {}

  private admin(brokers: string[] | undefined): Promise<Admin> {
    const key = brokers?.join(',') ?? '';
    let a = this.admins.get(key);
    if (a === undefined) {
      const admin = createKafka({
        brokers: brokers ?? serviceEndpoints().kafkaBrokers,
        clientId: 'krange-positions',
      }).admin();
      a = admin.connect().then(() => admin);
      a.catch(() => this.admins.delete(key));
      this.admins.set(key, a);
    }
    return a;
  }

  /** Log end offsets of these topics (cached for maxAgeMs), by `topic:partition`. */
  private async logEnds(brokers: string[] | undefined, topics: string[]): Promise<Map<string, bigint>> {
    const key = `${brokers?.join(',') ?? ''}|${[...topics].sort().join(',')}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && Date.now() - hit.at < (this.opts.maxAgeMs ?? 2000)) return hit.marks;
    const admin = await this.admin(brokers);
    const marks = new Map<string, bigint>();
    for (const m of await fetchWatermarks(admin, topics)) marks.set(`${m.topic}:${m.partition}`, m.latest);
    this.cache.set(key, { at: Date.now(), marks });
    return marks;
  }

  async positions(job: string): Promise<JobPositions> {
    const store = new StateStore(job, this.opts.storeOf?.(job) ?? this.opts.stateRoot);
    let committed: Map<string, bigint> | undefined;
    try {
      committed = await store.committedPositions();
    } catch {
      committed = undefined;
    }
    const topics = new Set<string>(this.opts.topicsOf?.(job) ?? []);
    for (const key of committed?.keys() ?? []) topics.add(key.slice(0, key.lastIndexOf(':')));
    let ends: Map<string, bigint> | undefined;
    try {
      ends = topics.size > 0 ? await this.logEnds(this.opts.brokersOf?.(job), [...topics]) : new Map();
    } catch (err) {
      this.opts.logger?.warn({ job, err: (err as Error).message }, 'cannot read log end offsets');
    }
    const keys = new Set([...(committed?.keys() ?? []), ...(ends?.keys() ?? [])]);
    const partitions: PartitionPosition[] = [...keys].map((key) => {
      const sep = key.lastIndexOf(':');
      const c = committed?.get(key);
      const e = ends?.get(key);
      return {
        topic: key.slice(0, sep),
        partition: Number(key.slice(sep + 1)),
        committed: c === undefined ? null : c.toString(),
        logEnd: e === undefined ? null : e.toString(),
        lag: c === undefined || e === undefined ? null : Number(e > c ? e - c : 0n),
      };
    });
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    const known = partitions.filter((p) => p.lag !== null);
    return {
      job,
      partitions,
      totalLag: known.length === 0 ? null : known.reduce((s, p) => s + (p.lag ?? 0), 0),
    };
  }

  async close(): Promise<void> {
    for (const a of this.admins.values())
      await (await a.catch(() => undefined))?.disconnect().catch(() => undefined);
    this.admins.clear();
  }
}
