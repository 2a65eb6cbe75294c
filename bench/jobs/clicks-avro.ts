// The Avro variant of the demo job (W1-Avro in BENCHMARKS.md): bare Avro values written with
// bench/avro/clickstream.avsc, the columns derived from the same file plus the Kafka partition and
// offset (no JavaScript per record), to Parquet on HDFS by event date, as jobs/clickstream.ts.
// Topic from KRANGE_CLICKSTREAM_TOPIC, output from KRANGE_CLICKSTREAM_PATH.

import { avro, defineJob, fromAvroSchema, hdfsParquet, t } from 'krange';

const AVSC = new URL('../avro/clickstream.avsc', import.meta.url);

export default defineJob({
  name: 'bench-clicks-avro',
  description: 'benchmark: Avro click events -> Parquet on HDFS by event date',
  topics: [process.env['KRANGE_CLICKSTREAM_TOPIC'] ?? 'bench-clicks-avro'],
  decoder: avro({ schema: AVSC }),
  schema: fromAvroSchema(AVSC, { fields: { kafka_partition: t.int32(), kafka_offset: t.int64() } }),
  columns: { kafka_partition: { kafka: 'partition' }, kafka_offset: { kafka: 'offset' } },
  sinks: [
    hdfsParquet({
      path: process.env['KRANGE_CLICKSTREAM_PATH'] ?? 'webhdfs:///bench/clicks-avro',
      partitionBy: { name: 'dt', field: 'ts', format: 'date' },
      compression: 'snappy',
    }),
  ],
});
