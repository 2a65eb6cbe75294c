// Figures that live in the state files rather than in this process: the newest commit of each job
// (what a one-shot `krange run` leaves behind) and each partition's committed position, log end and
// lag. Refreshed at every scrape, so any process serving /metrics shows every job it knows,
// whoever ran it: no push gateway needed.

import { StateStore } from '../state/state-store.ts';
import type { PositionTracker } from './job-positions.ts';
import { Metrics } from './krange-metrics.ts';
import { onScrape } from './registry.ts';

export interface StateMetricsOptions {
  /** The jobs to report (asked at every scrape: jobs may appear). */
  jobs: () => string[];
  tracker: PositionTracker;
  stateRoot?: string | undefined;
  /** A job's own state store (its `stateStore`), when it names one. */
  storeOf?: (job: string) => string | undefined;
}

export async function refreshStateMetrics(o: StateMetricsOptions): Promise<void> {
  await Promise.all(
    o.jobs().map(async (job) => {
      const store = new StateStore(job, o.storeOf?.(job) ?? o.stateRoot);
      const n = await store.latestCommitted().catch(() => undefined);
      if (n !== undefined) {
        try {
          const c = await store.readCommit(n);
          Metrics.lastIteration.set({ job }, n);
          Metrics.lastIterationRecords.set({ job }, c.records);
          Metrics.lastIterationRows.set({ job }, c.rows);
          Metrics.lastIterationBytes.set({ job }, c.bytes);
          Metrics.lastIterationBadRecords.set({ job }, c.badRecords);
          Metrics.lastIterationDuration.set({ job }, c.durationMs / 1000);
          Metrics.lastIterationTimestamp.set({ job }, Date.parse(c.committedAt) / 1000);
        } catch {
          // a corrupt commit file is reported by krange state/run; metrics keep the last good figures
        }
      }
      const pos = await o.tracker.positions(job);
      for (const p of pos.partitions) {
        const labels = { job, consumer: 'batch', topic: p.topic, partition: String(p.partition) };
        if (p.committed !== null) Metrics.committedOffset.set(labels, Number(p.committed));
        if (p.logEnd !== null) Metrics.logEndOffset.set(labels, Number(p.logEnd));
        if (p.lag !== null) Metrics.lagRecords.set(labels, p.lag);
      }
    }),
  );
}

/** Refreshes the state figures before every scrape; returns the unregister function. */
export function registerStateMetrics(o: StateMetricsOptions): () => void {
  return onScrape(() => refreshStateMetrics(o));
}
