// Setup for the retention measurement (issue 11): one job, one real run, then 10,000 empty
// iterations after it written as krange writes them, in two state directories: `full` keeps every
// file (as before retention), `folded` has the older ones folded into history.jsonl (as the next
// commit does with the default retainIterations of 100). Prints the commands to time side by side:
//   node --import tsx bench/state-retention.ts   then   farm-bench ... (BENCHMARKS.md)

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serviceEndpoints } from '../src/job/endpoints.ts';
import { createKafka } from '../src/kafka/kafka-client.ts';
import { foldHistory } from '../src/state/state-history.ts';
import { StateStore } from '../src/state/state-store.ts';
import { option } from './lib/args.ts';

const iterations = Number(option('--iterations') ?? 10_000);
const root = mkdtempSync(join(tmpdir(), 'krange-retention-bench-'));
const topic = `krange-bench-retention-${Date.now()}`;
const kafka = createKafka({ brokers: serviceEndpoints().kafkaBrokers, clientId: 'krange-bench-retention' });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 8 }] });
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
await producer.send({
  topic,
  acks: -1,
  messages: Array.from({ length: 800 }, (_, i) => ({ value: `{"id":${i}}` })),
});
await producer.disconnect();

const jobFile = join(root, 'retention.mts');
writeFileSync(
  jobFile,
  `import { defineJob, hdfsParquet, t } from ${JSON.stringify(resolve('src/index.ts'))};\n` +
    `export default defineJob({ name: 'retention', topics: ['${topic}'], schema: { id: t.int64() },\n` +
    `  sinks: [hdfsParquet({ path: 'file://${root}/out' })] });\n`,
);
const full = join(root, 'full');
const run = spawnSync(process.execPath, ['bin/krange.mjs', 'run', jobFile], {
  env: { ...process.env, KRANGE_STATE_DIR: full },
  encoding: 'utf8',
});
if (run.status !== 0) throw new Error(run.stderr);
const dir = join(full, 'retention');
const plan0 = JSON.parse(readFileSync(join(dir, 'offsets', '0.json'), 'utf8'));
const commit0 = JSON.parse(readFileSync(join(dir, 'commits', '0.json'), 'utf8'));
const ranges = plan0.ranges.map((r: { end: string }) => ({ ...r, begin: r.end }));
for (let n = 1; n <= iterations; n++) {
  writeFileSync(
    join(dir, 'offsets', `${n}.json`),
    JSON.stringify({ ...plan0, iteration: n, ranges, tasks: [] }, null, 2),
  );
  writeFileSync(
    join(dir, 'commits', `${n}.json`),
    JSON.stringify({ ...commit0, iteration: n, ranges, tasks: [], records: 0, rows: 0, bytes: 0 }, null, 2),
  );
}
const folded = join(root, 'folded');
cpSync(full, folded, { recursive: true });
const outcome = await foldHistory(new StateStore('retention', folded), 100);
console.log(
  JSON.stringify({
    root,
    jobFile,
    full,
    folded,
    iterations: iterations + 1,
    foldedIterations: outcome.folded,
  }),
);
