// The one prom-client Registry of a krange process, and every metric name, defined once here so
// dashboards can rely on them. Components register their metrics on `registry` (never the global
// default registry) and `/metrics` endpoints serve it.

import { Registry } from 'prom-client';

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
} as const;
