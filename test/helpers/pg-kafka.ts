// Independent readers for the PostgreSQL and Kafka sinks: psql (counts and a checksum of the
// payloads) and kcat with isolation.level=read_committed (every produced record, its payload and
// its krange-source header). Both compare with what the test produced.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { type BatchFixture, batchFixture, checksum } from './batch.ts';
import { brokers, createTopic, uniqueName } from './kafka.ts';
import { endpoints, uniqueId } from './sinks.ts';

export const PG_KAFKA_JOB = resolve('test/fixtures/jobs/pg-kafka.ts');

export interface PgKafkaFixture extends BatchFixture {
  table: string;
  outTopic: string;
}

export async function pgKafkaFixture(
  sinks: 'postgres' | 'kafka' | 'both',
  partitions = 3,
  extraEnv: Record<string, string> = {},
): Promise<PgKafkaFixture> {
  const table = uniqueId('krange_e2e');
  const outTopic = uniqueName('out');
  await createTopic(outTopic, 2);
  const f = await batchFixture(partitions, {
    KRANGE_TEST_SINKS: sinks,
    KRANGE_TEST_PG_TABLE: table,
    KRANGE_TEST_OUT_TOPIC: outTopic,
    ...extraEnv,
  });
  return { ...f, table, outTopic };
}

/** Runs SQL with psql and returns the unaligned rows (fields split on `|`). */
export function psql(sql: string): string[][] {
  const out = execFileSync('psql', [endpoints().pgUrl, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|'));
}

/** psql: the table holds each produced record exactly once, payloads intact. */
export function expectPgExactlyOnce(table: string, payloads: string[]): void {
  const [row] = psql(
    `select count(*), count(distinct (kafka_partition, kafka_offset)),
            coalesce(md5(string_agg(payload, '|' order by payload collate "C")), '')
     from ${table}`,
  );
  expect(row).toEqual([String(payloads.length), String(payloads.length), checksum(payloads)]);
}

export interface OutRecord {
  key: string;
  source: string;
  payload: string;
}

export interface CommittedRecord {
  partition: number;
  key: string;
  /** kcat's `%h`: the headers as `name=value` pairs joined by commas. */
  headers: string;
  value: string;
}

/** kcat with isolation.level=read_committed: every committed record of the topic, in topic order. */
export function kcatReadCommitted(topic: string): CommittedRecord[] {
  const out = execFileSync(
    'kcat',
    [
      '-C',
      '-b',
      brokers().join(','),
      '-t',
      topic,
      '-X',
      'isolation.level=read_committed',
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%p\t%k\t%h\t%s\n',
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [partition = '', key = '', headers = '', ...value] = l.split('\t');
      return { partition: Number(partition), key, headers, value: value.join('\t') };
    });
}

/** The output topic of the pg-kafka job, read_committed: each record's key, source and payload. */
export function readCommitted(topic: string): OutRecord[] {
  return kcatReadCommitted(topic).map((r) => ({
    key: r.key,
    source: /krange-source=([^,]*)/.exec(r.headers)?.[1] ?? '',
    payload: (JSON.parse(r.value === '' ? '{}' : r.value) as { payload: string }).payload,
  }));
}

/** kcat read_committed: each produced record exactly once in the output topic. */
export function expectKafkaExactlyOnce(topic: string, payloads: string[]): void {
  const recs = readCommitted(topic);
  expect(recs.length).toBe(payloads.length);
  expect(new Set(recs.map((r) => r.source)).size).toBe(payloads.length);
  expect(checksum(recs.map((r) => r.payload))).toBe(checksum(payloads));
}

export function dropPgTable(table: string): void {
  psql(`drop table if exists ${table}; delete from krange_loaded_ranges where target = 'public.${table}'`);
}
