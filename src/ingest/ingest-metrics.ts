// The gateway's metrics on the shared registry: requests, records, bytes, latency, 429s and produce
// errors. Labels have bounded cardinality (route, status class, outcome, reason); never a topic
// or token.

import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricNames, registry } from '../metrics/registry.ts';

function build() {
  return {
    requests: new Counter({
      name: MetricNames.ingestRequests,
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    records: new Counter({
      name: MetricNames.ingestRecords,
      help: 'Records by outcome: stored (acknowledged by Kafka), rejected (bad input), failed (produce error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    bytes: new Counter({
      name: MetricNames.ingestBytes,
      help: 'Request body bytes received on produce routes',
      registers: [registry],
    }),
    latency: new Histogram({
      name: MetricNames.ingestLatency,
      help: 'Produce request duration, from the request to the answer (after Kafka acknowledged)',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    throttled: new Counter({
      name: MetricNames.ingestThrottled,
      help: 'Requests answered 429, by reason (budget: in-flight bytes full; rate: token rate limit)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    produceErrors: new Counter({
      name: MetricNames.ingestProduceErrors,
      help: 'Kafka produce calls that failed (each may carry many records)',
      registers: [registry],
    }),
    inFlightBytes: new Gauge({
      name: MetricNames.ingestInFlightBytes,
      help: 'Bytes of accepted requests not yet answered',
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof build>;
let metrics: IngestMetrics | undefined;

/** Registered once per process: several gateways in one process (tests) share the counters. */
export function ingestMetrics(): IngestMetrics {
  metrics ??= build();
  return metrics;
}
