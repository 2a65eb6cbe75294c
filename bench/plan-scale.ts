// Planning at scale (issue 13): a job over one topic of 1,000 and 5,000 partitions on the local
// broker. Times buildPlan (the Kafka metadata and ListOffsets round trips plus the pure planner)
// several times, and measures the plan file and a commit file of that iteration as krange writes
// them (offsets/<n>.json, commits/<n>.json with one task result per partition).
// Usage: node --import tsx bench/plan-scale.ts [--partitions 1000,5000] [--repeats 5] [--keep-topics]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan } from '../src/batch/build-plan.ts';
import { defineJob, parquet, t } from '../src/index.ts';
import { serviceEndpoints } from '../src/job/endpoints.ts';
import { jobFromModule } from '../src/job/job-loader.ts';
import { connectAdmin, createKafka } from '../src/kafka/kafka-client.ts';
import { StateStore } from '../src/state/state-store.ts';
import { option } from './lib/args.ts';
import { summarize } from './lib/stats.ts';

const sizes = (option('--partitions') ?? '1000,5000').split(',').map(Number);
const repeats = Number(option('--repeats') ?? 5);
const endpoints = serviceEndpoints();
const root = mkdtempSync(join(tmpdir(), 'krange-plan-scale-'));
const rows: string[] = [];

for (const partitions of sizes) {
  const topic = `krange-bench-plan-${partitions}`;
  const loaded = jobFromModule(
    {
      default: defineJob({
        name: `plan-scale-${partitions}`,
        topics: [topic],
        decoder: 'json',
        schema: { id: t.int64() },
        sinks: [parquet({ path: `file://${root}/out-${partitions}` })],
      }),
    },
    `bench/plan-scale.ts#${partitions}`,
    endpoints,
  );
  const admin = await connectAdmin(loaded);
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      timeout: 120_000,
      waitForLeaders: false,
    });
    // Every partition needs a leader before records can go to it (the broker elects them one by one).
    for (const deadline = Date.now() + 300_000; ; ) {
      const m = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const ps = m?.topics[0]?.partitions ?? [];
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`${topic}: partitions without a leader after 300 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // One record per partition, so every range of the plan is non-empty.
    const producer = createKafka({
      brokers: endpoints.kafkaBrokers,
      clientId: 'krange-bench-plan',
    }).producer();
    await producer.connect();
    for (let p = 0; p < partitions; p += 500) {
      const messages = [];
      for (let q = p; q < Math.min(p + 500, partitions); q++)
        messages.push({ partition: q, value: `{"id":${q}}` });
      // The metadata names a leader a moment before the broker hosts the partition: retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ topic, messages, acks: -1 });
          break;
        } catch (err) {
          if (attempt >= 30) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
    await producer.disconnect();
  }

  const store = new StateStore(loaded.spec.name, root);
  await store.ensureMetadata('bench');
  const times: number[] = [];
  let plan: Awaited<ReturnType<typeof buildPlan>> | undefined;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    plan = await buildPlan(admin, loaded.spec, store, 0);
    times.push((performance.now() - start) / 1000);
  }
  await admin.disconnect();
  if (plan === undefined) throw new Error('no plan');
  const planBytes = Buffer.byteLength(JSON.stringify({ version: 1, ...plan }, null, 2));
  const commit = {
    version: 1,
    job: plan.job,
    jobId: 'bench',
    iteration: 0,
    ranges: plan.ranges,
    committedAt: new Date().toISOString(),
    durationMs: 1000,
    records: partitions,
    rows: partitions,
    bytes: partitions * 24,
    badRecords: 0,
    tasks: plan.tasks.map((task) => ({
      ...task,
      records: 1,
      rows: 1,
      bytes: 24,
      badRecords: 0,
      files: [`/data/plan-scale/part-${task.id}.parquet`],
      durationMs: 120,
      attempts: 1,
      sinks: { [`parquet:file://${root}`]: { rows: 1, bytes: 24, durationMs: 3 } },
    })),
    skipped: [],
  };
  const commitBytes = Buffer.byteLength(JSON.stringify(commit, null, 2));
  const fmt = (x: { median: number; min: number; max: number }) =>
    `${x.median.toFixed(3)} s (${x.min.toFixed(3)}-${x.max.toFixed(3)})`;
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  rows.push(
    `| ${partitions.toLocaleString('en')} | ${plan.tasks.length.toLocaleString('en')} | ${fmt(summarize(times))} | ${kib(planBytes)} | ${kib(commitBytes)} |`,
  );
  if (!process.argv.includes('--keep-topics')) {
    const a = await connectAdmin(loaded);
    await a.deleteTopics({ topics: [topic], timeout: 120_000 });
    await a.disconnect();
  }
}
rmSync(root, { recursive: true, force: true });
console.log(`buildPlan over one topic, median of ${repeats} (min-max):\n`);
console.log('| Partitions | Tasks | Plan time | offsets/<n>.json | commits/<n>.json |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
