// The demo clickstream job's own `aggregate` (jobs/clickstream.ts: per-minute windows by country
// and device) under a job name of the benchmark's choosing (KRANGE_BENCH_AGG_JOB), so every run
// gets a fresh table and fresh stored offsets. Topic from KRANGE_CLICKSTREAM_TOPIC;
// For bench/experiments/freshness.ts: KRANGE_BENCH_AGG_FLUSH_MS overrides flushInterval, and
// KRANGE_BENCH_AGG_NO_DISTINCT=1 drops the countDistinct measures (to see what they cost).
// The rows come from the declarative demo job (jobs/clickstream-columns.ts: `columns`, no JavaScript
// per record, so the aggregator reads them with its byte scanner); KRANGE_BENCH_AGG_FORM=js takes the
// JavaScript-transform demo job instead (JSON.parse and the transform per record). Both give the
// same window rows: the aggregate reads neither kafka_partition nor kafka_offset.

import { defineJob } from 'krange';
import clickstream from '../../jobs/clickstream.ts';
import clickstreamColumns from '../../jobs/clickstream-columns.ts';

const flushMs = process.env['KRANGE_BENCH_AGG_FLUSH_MS'];
const noDistinct = process.env['KRANGE_BENCH_AGG_NO_DISTINCT'] === '1';
const demo = clickstream.aggregate;

const rows = process.env['KRANGE_BENCH_AGG_FORM'] === 'js' ? clickstream : clickstreamColumns;

export default defineJob({
  ...rows,
  name: process.env['KRANGE_BENCH_AGG_JOB'] ?? 'bench_clicks_agg',
  description: 'benchmark: the demo aggregate into PostgreSQL',
  schedule: undefined,
  aggregate: demo && {
    ...demo,
    ...(flushMs === undefined ? {} : { flushInterval: Number(flushMs) }),
    ...(noDistinct
      ? {
          measures: Object.fromEntries(
            Object.entries(demo.measures).filter(([, m]) => m.op !== 'countDistinct'),
          ),
        }
      : {}),
  },
});
