// Which partitions this group member owns and where each resumes. A new generation drops the
// partitions no longer ours (their unflushed deltas go: the new owner replays them from
// PostgreSQL), re-seeks the ones that stay, and loads the stored positions of the new ones
// (positions.ts) before any of their batches is taken.

import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { type KrangeError, toKrangeError } from '../errors.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { LogEvents } from '../log-events.ts';
import { PartitionState, tpKey } from './partition-state.ts';
import type { AggregateStore } from './pg-store.ts';
import { resumePositions } from './positions.ts';

export interface OwnershipDeps {
  spec: JobSpec;
  store: AggregateStore;
  admin: () => Promise<Admin>;
  consumer: () => Consumer | undefined;
  /** Late rows are kept for a dead-letter topic. */
  keepsLate: boolean;
  log: Logger;
  /** Runs fn until it succeeds (retriable failures are retried with backoff). */
  retrying: <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;
  fatal: (err: KrangeError) => void;
}

export class PartitionOwnership {
  /** Partitions assigned to this member in the current generation. */
  assigned = new Set<string>();
  /** Counts group joins: a batch that waited across one belongs to an older generation. */
  generation = 0;
  /** Owned partitions whose stored position is known: the only place deltas live. */
  readonly states = new Map<string, PartitionState>();
  private readonly loading = new Set<string>();

  constructor(private readonly d: OwnershipDeps) {}

  /** A new generation: drop what is no longer ours, re-seek what stays, load positions of the rest. */
  assign(assignment: Record<string, number[] | undefined>): void {
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment))
      for (const p of parts ?? []) next.add(tpKey(topic, p));
    for (const [key, st] of this.states) {
      if (next.has(key)) continue;
      this.states.delete(key);
      this.d.log.info(
        {
          event: LogEvents.aggregateRevoked,
          topic: st.topic,
          partition: st.partition,
          unflushedRecords: st.counts.records,
        },
        'partition revoked; its unflushed deltas are dropped',
      );
    }
    this.assigned = next;
    this.generation++;
    // kafkajs restarts a new generation from Kafka's committed offsets; ours are in memory/PostgreSQL.
    for (const st of this.states.values()) this.seek(st);
    this.d.log.info(
      { event: LogEvents.aggregateAssigned, partitions: [...next].sort() },
      'partitions assigned',
    );
    this.load([...next]);
  }

  /** Moves the consumer to where the partition's state is. */
  seek(st: PartitionState): void {
    this.d.consumer()?.seek({ topic: st.topic, partition: st.partition, offset: st.position.toString() });
  }

  /** Starts loading the stored positions of these partitions (if owned and not known or loading). */
  load(keys: string[]): void {
    const todo = keys.filter((k) => !this.states.has(k) && !this.loading.has(k));
    if (todo.length === 0) return;
    for (const k of todo) this.loading.add(k);
    void this.d
      .retrying('read stored offsets', () => this.loadPositions(todo))
      .catch((err: unknown) => this.d.fatal(toKrangeError(err)))
      .finally(() => {
        for (const k of todo) this.loading.delete(k);
      });
  }

  /** Reads (seeding if new) the stored positions of partitions we own, installs their state and seeks. */
  private async loadPositions(keys: string[]): Promise<void> {
    const wanted = () => keys.filter((k) => this.assigned.has(k) && !this.states.has(k));
    if (wanted().length === 0) return;
    const admin = await this.d.admin();
    const parts = wanted().map((k) => ({
      topic: k.slice(0, k.lastIndexOf(':')),
      partition: Number(k.slice(k.lastIndexOf(':') + 1)),
    }));
    const stored = await resumePositions({
      store: this.d.store,
      admin,
      spec: this.d.spec,
      parts,
      logger: this.d.log,
    });
    for (const key of wanted()) {
      const pos = stored.get(key);
      if (pos === undefined) continue;
      const sep = key.lastIndexOf(':');
      const st = new PartitionState(key.slice(0, sep), Number(key.slice(sep + 1)), pos, this.d.keepsLate);
      this.states.set(key, st);
      this.seek(st);
      this.d.log.info(
        {
          event: LogEvents.aggregateResumed,
          topic: st.topic,
          partition: st.partition,
          offset: st.position.toString(),
        },
        'resuming partition from stored offset',
      );
    }
  }
}
