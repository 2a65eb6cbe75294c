// Every krange metric, declared once with its labels (like log-events.ts for log lines), named the
// Prometheus way: base units, `_seconds`, `_bytes`, `_total` for counters, and labels of bounded
// cardinality only (job, topic, partition, sink, phase, reason: never a record field).
// Figures are recorded per task, iteration or flush, never per record.

import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricNames, registry } from './registry.ts';

export const MetricLabels = {
  job: 'job',
  topic: 'topic',
  partition: 'partition',
  /** `batch` (krange run/schedule: committed iterations) or `aggregate` (krange aggregate: offsets in PostgreSQL). */
  consumer: 'consumer',
  sink: 'sink',
  phase: 'phase',
  status: 'status',
  reason: 'reason',
  state: 'state',
} as const;

const L = MetricLabels;
const registers = [registry];
/** Phases and flushes: from milliseconds to minutes. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const partitionLabels = [L.job, L.consumer, L.topic, L.partition] as const;

export const Metrics = {
  // Position and lag, per job and partition (kafka-lag-exporter's shape).
  lagRecords: new Gauge({
    name: MetricNames.lagRecords,
    help: 'Records between the committed position and the log end (log end offset - committed offset)',
    labelNames: partitionLabels,
    registers,
  }),
  committedOffset: new Gauge({
    name: MetricNames.committedOffset,
    help: 'Next offset to read: end of the last committed iteration (batch) or offset stored in PostgreSQL (aggregate)',
    labelNames: partitionLabels,
    registers,
  }),
  logEndOffset: new Gauge({
    name: MetricNames.logEndOffset,
    help: "Kafka's log end offset (high watermark; the last stable offset under read_committed)",
    labelNames: partitionLabels,
    registers,
  }),

  // Iterations (krange run, schedule, console actions).
  iterations: new Counter({
    name: MetricNames.iterations,
    help: 'Iterations finished, by status (committed, noop, rerun, failed, aborted)',
    labelNames: [L.job, L.status],
    registers,
  }),
  iterationRecords: new Counter({
    name: MetricNames.iterationRecords,
    help: 'Kafka records read by committed iterations',
    labelNames: [L.job],
    registers,
  }),
  iterationRows: new Counter({
    name: MetricNames.iterationRows,
    help: 'Rows written by committed iterations',
    labelNames: [L.job],
    registers,
  }),
  iterationBytes: new Counter({
    name: MetricNames.iterationBytes,
    help: 'Bytes written by committed iterations (all sinks)',
    labelNames: [L.job],
    registers,
  }),
  iterationBadRecords: new Counter({
    name: MetricNames.iterationBadRecords,
    help: 'Bad records (skipped or dead-lettered) in committed iterations',
    labelNames: [L.job],
    registers,
  }),
  phaseDuration: new Histogram({
    name: MetricNames.phaseDuration,
    help: 'Duration of an iteration phase: plan, tasks, commit',
    labelNames: [L.job, L.phase],
    buckets: durationBuckets,
    registers,
  }),
  taskRetries: new Counter({
    name: MetricNames.taskRetries,
    help: 'Task attempts that failed and were retried',
    labelNames: [L.job],
    registers,
  }),

  // Sinks, per task.
  sinkRows: new Counter({
    name: MetricNames.sinkRows,
    help: 'Rows a sink committed',
    labelNames: [L.job, L.sink],
    registers,
  }),
  sinkBytes: new Counter({
    name: MetricNames.sinkBytes,
    help: 'Bytes a sink committed',
    labelNames: [L.job, L.sink],
    registers,
  }),
  sinkDuration: new Histogram({
    name: MetricNames.sinkDuration,
    help: "Time a sink spent on one task's rows (write and commit)",
    labelNames: [L.job, L.sink],
    buckets: durationBuckets,
    registers,
  }),
  sinkErrors: new Counter({
    name: MetricNames.sinkErrors,
    help: 'Task attempts failed by a sink error',
    labelNames: [L.job, L.sink],
    registers,
  }),

  // Worker pool.
  workerPoolSize: new Gauge({
    name: MetricNames.workerPoolSize,
    help: 'Worker threads of the running iteration (krange run, schedule) or of a krange executor, by state (busy, idle)',
    labelNames: [L.job, L.state],
    registers,
  }),
  workerBusySeconds: new Counter({
    name: MetricNames.workerBusySeconds,
    help: 'Worker-thread seconds spent on tasks (utilisation = rate / workers)',
    labelNames: [L.job],
    registers,
  }),
  workerUtilisation: new Gauge({
    name: MetricNames.workerUtilisation,
    help: 'Busy worker time / (workers x task phase wall time) of the last iteration',
    labelNames: [L.job],
    registers,
  }),

  // Scheduler.
  ticksSkipped: new Counter({
    name: MetricNames.ticksSkipped,
    help: 'Cron ticks that started no iteration, by reason (running: the previous one still runs; locked: another runner holds the job)',
    labelNames: [L.job, L.reason],
    registers,
  }),

  // The last committed iteration, read from the commit files (what a one-shot `krange run` leaves).
  lastIteration: new Gauge({
    name: MetricNames.lastIteration,
    help: 'Number of the newest committed iteration',
    labelNames: [L.job],
    registers,
  }),
  lastIterationRecords: new Gauge({
    name: MetricNames.lastIterationRecords,
    help: 'Records of the newest committed iteration (commit file)',
    labelNames: [L.job],
    registers,
  }),
  lastIterationRows: new Gauge({
    name: MetricNames.lastIterationRows,
    help: 'Rows of the newest committed iteration (commit file)',
    labelNames: [L.job],
    registers,
  }),
  lastIterationBytes: new Gauge({
    name: MetricNames.lastIterationBytes,
    help: 'Bytes of the newest committed iteration (commit file)',
    labelNames: [L.job],
    registers,
  }),
  lastIterationBadRecords: new Gauge({
    name: MetricNames.lastIterationBadRecords,
    help: 'Bad records of the newest committed iteration (commit file)',
    labelNames: [L.job],
    registers,
  }),
  lastIterationDuration: new Gauge({
    name: MetricNames.lastIterationDuration,
    help: 'Duration of the newest committed iteration (commit file)',
    labelNames: [L.job],
    registers,
  }),
  lastIterationTimestamp: new Gauge({
    name: MetricNames.lastIterationTimestamp,
    help: 'When the newest committed iteration was committed (Unix time)',
    labelNames: [L.job],
    registers,
  }),

  // Aggregator.
  aggregateRecords: new Counter({
    name: MetricNames.aggregateRecords,
    help: 'Kafka records consumed by the aggregator',
    labelNames: [L.job],
    registers,
  }),
  aggregateRecordsRate: new Gauge({
    name: MetricNames.aggregateRecordsRate,
    help: 'Records consumed per second over the last stats interval',
    labelNames: [L.job],
    registers,
  }),
  executorTasks: new Counter({
    name: MetricNames.executorTasks,
    help: 'Task attempts a krange executor finished, by status (done, failed)',
    labelNames: [L.job, L.status],
    registers,
  }),
  aggregateFlushedRecords: new Counter({
    name: MetricNames.aggregateFlushedRecords,
    help: 'Records whose window deltas were committed to PostgreSQL',
    labelNames: [L.job],
    registers,
  }),
  aggregateFlushDuration: new Histogram({
    name: MetricNames.aggregateFlushDuration,
    help: 'Duration of one flush (dead letters and the PostgreSQL transaction)',
    labelNames: [L.job],
    buckets: durationBuckets,
    registers,
  }),
  aggregateFreshness: new Histogram({
    name: MetricNames.aggregateFreshness,
    help: "Event time of a partition's newest flushed event to its commit in PostgreSQL",
    labelNames: [L.job],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86_400],
    registers,
  }),
  aggregateLateEvents: new Counter({
    name: MetricNames.aggregateLateEvents,
    help: 'Events older than the watermark (counted, not merged)',
    labelNames: [L.job],
    registers,
  }),
  aggregateFlushFailures: new Counter({
    name: MetricNames.aggregateFlushFailures,
    help: 'Flushes that failed and were retried',
    labelNames: [L.job],
    registers,
  }),
  aggregateEmittedWindows: new Counter({
    name: MetricNames.aggregateEmittedWindows,
    help: 'Closed windows committed to the aggregate.emit topic by this process',
    labelNames: [L.job],
    registers,
  }),
} as const;
