// The demo job in declarative form: the same rows as jobs/clickstream.ts, with `columns` instead of
// a JavaScript transform, so krange reads the fields straight from the JSON bytes (the fast path).
// Both write the same Parquet (test/integration/batch/declarative-and-js-demo-jobs-write-the-same-parquet).

import { defineJob, parquet } from 'krange';
import clickstream from './clickstream.ts';

const { transform: _jsTransform, aggregate: _aggregate, sinks: _sinks, ...rest } = clickstream;

export default defineJob({
  ...rest,
  name: process.env['KRANGE_CLICKSTREAM_COLUMNS_JOB'] ?? 'clickstream-columns',
  description: 'Click events -> Parquet on HDFS by event date (declarative: no JS per record)',
  columns: { kafka_partition: { kafka: 'partition' }, kafka_offset: { kafka: 'offset' } },
  sinks: [
    parquet({
      // Its own directory by default: the two demo jobs write files of the same names.
      path: process.env['KRANGE_CLICKSTREAM_PATH'] ?? 'webhdfs:///data/clickstream-columns',
      partitionBy: { name: 'dt', field: 'ts', format: 'date' },
      compression: 'snappy',
    }),
  ],
});
