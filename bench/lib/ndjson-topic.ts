// A demo topic as a local NDJSON file, for engines that read files (DuckDB's reference in
// bench/w1-side-by-side.ts): one line per record, the record's JSON value with the two fields the
// demo job takes from Kafka's metadata (kafka_partition, kafka_offset) put first, so a reader of the
// file produces the same rows as the job. Read with kcat (librdkafka, not krange's reader), written
// once beside the results and reused while it holds the topic's record count.

import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './engines.ts';
import { endpoints } from './services.ts';

/** The file's path, its line count and its size in bytes. */
export interface NdjsonFile {
  path: string;
  records: number;
  bytes: number;
}

const DIR = join(ROOT, 'bench/results/ndjson');

/** kcat's arguments to read every record of `topic` on the local stack and exit (-e), quietly. */
export function kcatConsume(topic: string, ...more: string[]): string[] {
  return ['-C', '-b', endpoints.kafkaBrokers.join(','), '-t', topic, '-e', '-q', ...more];
}

/** `bench/results/ndjson/<topic>.ndjson`, holding every record of `topic` (`records` of them). */
export async function ensureNdjson(topic: string, records: number): Promise<NdjsonFile> {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `${topic}.ndjson`);
  const countPath = `${path}.count`;
  if (existsSync(path) && existsSync(countPath)) {
    if (Number(readFileSync(countPath, 'utf8')) === records)
      return { path, records, bytes: statSync(path).size };
  }
  process.stderr.write(`[bench] writing ${topic} to ${path} with kcat (not timed)\n`);
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  const kcat = spawn('kcat', kcatConsume(topic, '-o', 'beginning', '-f', '%p %o %s\n'), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    kcat.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' ? new Error('kcat not found (bash scripts/test-tools.sh installs it)') : err,
      ),
    );
    kcat.on('close', resolve);
  });
  let lines = 0;
  for await (const line of createInterface({ input: kcat.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0 || line[b + 1] !== '{') throw new Error(`kcat: unexpected line ${line.slice(0, 80)}`);
    const value = line.slice(b + 2);
    const sep = value.startsWith('}') ? '' : ',';
    const ok = out.write(
      `{"kafka_partition":${line.slice(0, a)},"kafka_offset":${line.slice(a + 1, b)}${sep}${value}\n`,
    );
    if (!ok) await new Promise<void>((r) => out.once('drain', () => r()));
    lines++;
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`kcat exited ${code}`);
  if (lines !== records) throw new Error(`${topic}: kcat read ${lines} records, expected ${records}`);
  renameSync(tmp, path);
  writeFileSync(countPath, String(records));
  return { path, records, bytes: statSync(path).size };
}
