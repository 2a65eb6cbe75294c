// The aggregator's periodic `aggregate.lag` line: per owned partition its position and lag behind
// the high watermark of the last batch, and the consume and flush rates since the previous line.
// The same figures go to the lag gauges and the consume-rate gauge of the metrics registry.

import type { Logger } from 'pino';
import { LogEvents } from '../log-events.ts';
import { Metrics } from '../metrics/krange-metrics.ts';
import type { PartitionState } from './partition-state.ts';

export interface LagSources {
  job: string;
  states: () => Iterable<PartitionState>;
  /** Records consumed and flushed since start, and whether flushes are failing. */
  counters: () => { consumed: number; flushed: number; flushFailing: boolean };
  log: Logger;
}

/** Logs `aggregate.lag` every intervalMs until the returned stop function is called. */
export function startLagReport(s: LagSources, intervalMs: number): () => void {
  let last = { at: Date.now(), ...s.counters() };
  const timer = setInterval(() => {
    const now = Date.now();
    const c = s.counters();
    const secs = Math.max((now - last.at) / 1000, 0.001);
    const states = [...s.states()];
    const partitions = states.map((st) => ({
      topic: st.topic,
      partition: st.partition,
      offset: st.position.toString(),
      lag:
        st.highWatermark === null
          ? null
          : (st.highWatermark > st.position ? st.highWatermark - st.position : 0n).toString(),
    }));
    for (const st of states) {
      if (st.highWatermark === null) continue;
      const labels = { job: s.job, consumer: 'aggregate', topic: st.topic, partition: String(st.partition) };
      Metrics.logEndOffset.set(labels, Number(st.highWatermark));
      Metrics.lagRecords.set(labels, Math.max(Number(st.highWatermark - st.flushed), 0));
    }
    Metrics.aggregateRecordsRate.set({ job: s.job }, (c.consumed - last.consumed) / secs);
    s.log.info(
      {
        event: LogEvents.aggregateLag,
        partitions,
        recordsPerSec: Math.round((c.consumed - last.consumed) / secs),
        flushedPerSec: Math.round((c.flushed - last.flushed) / secs),
        flushFailing: c.flushFailing,
      },
      'aggregate progress',
    );
    last = { at: now, ...c };
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
