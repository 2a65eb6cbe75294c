// Shared set-up for batch tests: a unique topic, output directory and state directory, a job
// environment for the CLI, and a DuckDB check that every Kafka record landed exactly once.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import type { WebHdfsClient } from '../../src/fs/webhdfs-client.ts';
import { downloadParquet, parquetGlob, query } from './duckdb.ts';
import { createTopic, produce, uniqueName } from './kafka.ts';

export const EVENTS_JOB = resolve('test/fixtures/jobs/events.ts');

export interface BatchFixture {
  topic: string;
  job: string;
  hdfsDir: string;
  stateDir: string;
  env: Record<string, string>;
  /** Every payload produced so far. */
  payloads: string[];
  next: number;
}

export async function batchFixture(
  partitions = 3,
  extraEnv: Record<string, string> = {},
): Promise<BatchFixture> {
  const topic = uniqueName('t');
  const job = uniqueName('job');
  const hdfsDir = `/krange-test/${job}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-state-'));
  await createTopic(topic, partitions);
  return {
    topic,
    job,
    hdfsDir,
    stateDir,
    payloads: [],
    next: 0,
    env: {
      KRANGE_TEST_TOPIC: topic,
      KRANGE_TEST_JOB: job,
      KRANGE_TEST_OUT: `webhdfs://${hdfsDir}`,
      KRANGE_STATE_DIR: stateDir,
      ...extraEnv,
    },
  };
}

/** Produces n events with distinct ASCII payloads, keyed so they spread over partitions. */
export async function produceEvents(f: BatchFixture, n: number): Promise<void> {
  const messages = [];
  for (let i = 0; i < n; i++) {
    const id = f.next++;
    const payload = `p-${id}-${createHash('sha1').update(String(id)).digest('hex').slice(0, 12)}`;
    f.payloads.push(payload);
    messages.push({ key: `k${id % 97}`, value: JSON.stringify({ id, payload }) });
  }
  await produce(f.topic, messages);
}

export function checksum(payloads: string[]): string {
  return createHash('md5')
    .update([...payloads].sort().join('|'))
    .digest('hex');
}

/** DuckDB over every output file: each produced record exactly once, payloads intact. */
export async function expectExactlyOnce(
  f: BatchFixture,
  payloads: string[] = f.payloads,
  client?: WebHdfsClient,
): Promise<void> {
  const { local, files } = await downloadParquet(f.hdfsDir, client);
  expect(files.length).toBeGreaterThan(0);
  const [row] = await query(
    `select count(*)::bigint as n, count(distinct (kafka_partition, kafka_offset))::bigint as distinct_offsets,
            md5(string_agg(payload, '|' order by payload)) as checksum
     from ${parquetGlob(local)}`,
  );
  expect(Number(row?.['n'])).toBe(payloads.length);
  expect(Number(row?.['distinct_offsets'])).toBe(payloads.length);
  expect(row?.['checksum']).toBe(checksum(payloads));
}
