// Sinks of issue 15: N events through the krange jobs bench/jobs/clicks-postgres.ts (COPY, one
// transaction and a range marker per task) and bench/jobs/clicks-kafka.ts (one Kafka transaction
// per task), beside their raw limits in the same run: psql `\copy` of exactly the rows krange
// loaded (exported from its table) into a table of the same shape, and a plain kafkajs producer
// (acks=-1, 5,000 records per send, the same key) sending rows of the same shape. Counted back with
// psql and with kcat under read_committed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickEvent } from '../../src/demo/clickstream-events.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { ROOT } from '../lib/engines.ts';
import { kcatConsume } from '../lib/ndjson-topic.ts';
import { endpoints, waitForService } from '../lib/services.ts';
import type { TopicInfo } from '../lib/topics.ts';
import { krangeResult, krangeSink, type SinkBench } from './sinks.ts';

function psql(sql: string): string {
  return execFileSync('psql', [endpoints.pgUrl, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  }).trim();
}

export async function benchPostgres(
  info: TopicInfo,
  n: number,
  runId: string,
  waitMs: number,
): Promise<SinkBench> {
  const down = await waitForService('postgres', waitMs);
  if (down) return { sink: 'postgres', records: n, skipped: down };
  const table = `bench_pg_${runId}`;
  const dir = mkdtempSync(join(tmpdir(), 'krange-bench-pg-'));
  try {
    const k = await krangeSink(join(ROOT, 'bench/jobs/clicks-postgres.ts'), info, n, {
      KRANGE_BENCH_TABLE: table,
    });
    const counted = Number(psql(`select count(*) from ${table}`));
    process.stderr.write(
      `[bench] postgres sink: ${n} rows in ${(k.wallMs / 1000).toFixed(1)} s, ${counted} rows\n`,
    );

    // The raw limit: psql \copy of the very rows krange loaded, from a file, into a fresh table.
    const file = join(dir, 'rows.txt');
    psql(`\\copy ${table} to '${file}'`);
    psql(`create table ${table}_raw (like ${table})`);
    const t0 = performance.now();
    psql(`\\copy ${table}_raw from '${file}'`);
    const ms = performance.now() - t0;
    const rawCounted = Number(psql(`select count(*) from ${table}_raw`));
    process.stderr.write(`[bench] postgres raw \\copy: ${(n / (ms / 1000)).toFixed(0)} rows/s\n`);
    return {
      sink: 'postgres',
      records: n,
      krange: krangeResult(k, n, counted),
      raw: [
        { label: 'psql \\copy of the same rows (text)', ms, perSec: n / (ms / 1000), counted: rawCounted },
      ],
    };
  } finally {
    psql(
      `drop table if exists ${table}, ${table}_raw; delete from krange_loaded_ranges where target = 'public.${table}'`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Records of a topic a read_committed reader sees (kcat). */
function readCommittedCount(topic: string): number {
  const out = execFileSync('kcat', kcatConsume(topic, '-X', 'isolation.level=read_committed', '-f', '.'), {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.length;
}

export async function benchKafka(
  info: TopicInfo,
  n: number,
  runId: string,
  waitMs: number,
): Promise<SinkBench> {
  const down = await waitForService('kafka', waitMs);
  if (down) return { sink: 'kafka', records: n, skipped: down };
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'krange-bench' });
  const admin = kafka.admin();
  await admin.connect();
  const out = `bench-out-${runId}`;
  const raw = `bench-out-${runId}-raw`;
  try {
    await admin.createTopics({
      topics: [out, raw].map((topic) => ({ topic, numPartitions: info.partitions.length })),
      waitForLeaders: true,
    });
    const k = await krangeSink(join(ROOT, 'bench/jobs/clicks-kafka.ts'), info, n, {
      KRANGE_BENCH_OUT_TOPIC: out,
    });
    const counted = readCommittedCount(out);
    process.stderr.write(
      `[bench] kafka sink: ${n} records in ${(k.wallMs / 1000).toFixed(1)} s, ${counted} read back\n`,
    );

    // The raw limit: a plain kafkajs producer sending rows of the same shape, keyed the same way.
    const messages = [];
    for (let i = info.records - n; i < info.records; i++) {
      const e = clickEvent(i);
      messages.push({
        key: String(e.user_id),
        value: JSON.stringify({ ...e, kafka_partition: i % 8, kafka_offset: i }),
      });
    }
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const t0 = performance.now();
    for (let i = 0; i < messages.length; i += 5000)
      await producer.send({ topic: raw, acks: -1, messages: messages.slice(i, i + 5000) });
    const ms = performance.now() - t0;
    await producer.disconnect();
    const rawCounted = readCommittedCount(raw);
    process.stderr.write(`[bench] kafka raw producer: ${(n / (ms / 1000)).toFixed(0)} records/s\n`);
    return {
      sink: 'kafka',
      records: n,
      krange: krangeResult(k, n, counted),
      raw: [
        {
          label: 'kafkajs producer, acks=-1, 5,000 per send',
          ms,
          perSec: n / (ms / 1000),
          counted: rawCounted,
        },
      ],
    };
  } finally {
    await admin.deleteTopics({ topics: [out, raw] }).catch(() => undefined);
    await admin.disconnect();
  }
}
