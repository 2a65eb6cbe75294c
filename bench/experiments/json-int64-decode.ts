// W1's per-record CPU path without Kafka or sinks: the demo job's decode ('json'), transform and
// schema check (RecordProcessor.processInto) over N demo events read as text, as the range reader
// hands them over. Run it on two checkouts (before/after a decoder change) alternately, or under a
// whole-process timer, and compare CPU ns/record as a ratio: used for exact int64 from JSON (the regex
// scan for a 16-digit run in front of JSON.parse), see BENCHMARKS.md.
//
//   node --import tsx bench/experiments/json-int64-decode.ts [--rows 200000] [--repeats 5]

import job from '../../jobs/clickstream.ts';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { validateJob } from '../../src/job/job-loader.ts';
import type { RawRecord } from '../../src/records/record.ts';
import { RecordProcessor } from '../../src/records/record-processor.ts';
import type { SinkRow } from '../../src/sinks/sink.ts';
import { option } from '../lib/args.ts';
import { summarize } from '../lib/stats.ts';

const n = Number(option('--rows') ?? 200_000);
const repeats = Number(option('--repeats') ?? 5);
const texts = Array.from({ length: n }, (_, i) => JSON.stringify(clickEvent(i)));
const records: RawRecord[] = texts.map((t, i) => ({
  topic: 'clickstream',
  partition: i % 8,
  offset: BigInt(i),
  timestamp: 0,
  key: null,
  value: null,
  headers: {},
  valueText: () => t,
}));
const processor = new RecordProcessor(validateJob(job, 'jobs/clickstream.ts'));
const out: SinkRow[] = [];
const perRecord: number[] = [];
for (let r = 0; r < repeats + 1; r++) {
  // CPU time of this thread, not wall time: on a shared, loaded machine wall time mostly measures
  // the other processes.
  const t0 = process.cpuUsage();
  for (const rec of records) {
    if (processor.processInto(rec, out) !== undefined) throw new Error('bad record');
    if (out.length >= 8192) out.length = 0;
  }
  const used = process.cpuUsage(t0);
  if (r > 0) perRecord.push(((used.user + used.system) * 1000) / n); // the first pass warms up
}
console.log(JSON.stringify({ rows: n, nsPerRecord: summarize(perRecord) }));
