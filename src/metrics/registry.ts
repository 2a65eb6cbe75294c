// The one prom-client Registry of a krange process, and every metric name, defined once here so
// dashboards can rely on them. Components register their metrics on `registry` (never the global
// default registry) and `/metrics` endpoints serve it. KRANGE_METRICS=0 turns the batch and
// aggregator figures off (used to measure what metrics cost; see BENCHMARKS.md).

import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();

/** Metric names (Prometheus conventions: base units, `_total` counters, `_seconds`, `_bytes`). */
export const MetricNames = {
  ingestRequests: 'krange_ingest_requests_total',
  ingestRecords: 'krange_ingest_records_total',
  ingestBytes: 'krange_ingest_bytes_total',
  ingestLatency: 'krange_ingest_request_duration_seconds',
  ingestThrottled: 'krange_ingest_throttled_total',
  ingestProduceErrors: 'krange_ingest_produce_errors_total',
  ingestInFlightBytes: 'krange_ingest_in_flight_bytes',
  // Batch jobs, scheduler and aggregator (declared with their labels in krange-metrics.ts).
  lagRecords: 'krange_lag_records',
  committedOffset: 'krange_committed_offset',
  logEndOffset: 'krange_log_end_offset',
  iterations: 'krange_iterations_total',
  iterationRecords: 'krange_iteration_records_total',
  iterationRows: 'krange_iteration_rows_total',
  iterationBytes: 'krange_iteration_bytes_total',
  iterationBadRecords: 'krange_iteration_bad_records_total',
  phaseDuration: 'krange_iteration_phase_duration_seconds',
  taskRetries: 'krange_task_retries_total',
  sinkRows: 'krange_sink_rows_total',
  sinkBytes: 'krange_sink_bytes_total',
  sinkDuration: 'krange_sink_task_duration_seconds',
  sinkErrors: 'krange_sink_errors_total',
  workerPoolSize: 'krange_worker_pool_workers',
  workerBusySeconds: 'krange_worker_pool_busy_seconds_total',
  workerUtilisation: 'krange_worker_pool_utilisation_ratio',
  ticksSkipped: 'krange_scheduler_ticks_skipped_total',
  executorTasks: 'krange_executor_tasks_total',
  lastIteration: 'krange_last_iteration',
  lastIterationRecords: 'krange_last_iteration_records',
  lastIterationRows: 'krange_last_iteration_rows',
  lastIterationBytes: 'krange_last_iteration_bytes',
  lastIterationBadRecords: 'krange_last_iteration_bad_records',
  lastIterationDuration: 'krange_last_iteration_duration_seconds',
  lastIterationTimestamp: 'krange_last_iteration_timestamp_seconds',
  aggregateRecords: 'krange_aggregate_records_total',
  aggregateRecordsRate: 'krange_aggregate_records_per_second',
  aggregateFlushedRecords: 'krange_aggregate_flushed_records_total',
  aggregateFlushDuration: 'krange_aggregate_flush_duration_seconds',
  aggregateFreshness: 'krange_aggregate_freshness_seconds',
  aggregateLateEvents: 'krange_aggregate_late_events_total',
  aggregateFlushFailures: 'krange_aggregate_flush_failures_total',
  aggregateEmittedWindows: 'krange_aggregate_emitted_windows_total',
} as const;

let processMetrics = false;

/** Adds Node's process metrics (CPU, memory, event-loop lag, GC) once; only servers need them. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: 'krange_' });
}

/** Whether figures are recorded at all (on unless KRANGE_METRICS=0). */
export const metricsEnabled: boolean = process.env['KRANGE_METRICS'] !== '0';

type ScrapeHook = () => Promise<void>;
const hooks = new Set<ScrapeHook>();

/** Runs before every scrape: figures read from elsewhere (state files, Kafka's log end) are refreshed then. */
export function onScrape(hook: ScrapeHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** The exposition text; a failing hook leaves its figures as they were (and never fails the scrape). */
export async function scrape(): Promise<string> {
  await Promise.all([...hooks].map((h) => h().catch(() => undefined)));
  return registry.metrics();
}

export const contentType = registry.contentType;
