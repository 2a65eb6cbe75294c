// Starts `krange ingest` as a child process, its URL taken from its ingest.listening event; reads
// topics back with kcat (a reader krange did not write).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { type CliResult, startCli } from './cli.ts';
import { type Daemon, follow } from './daemon.ts';
import { brokers } from './kafka.ts';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Its structured log, followed as it arrives. */
  log: Daemon;
  /** What it printed on stdout and stderr. */
  output(): string;
}

export async function startGateway(
  args: string[],
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const started = startCli(['ingest', ...args], { KRANGE_JOBS_DIR: '/nonexistent-jobs-dir', ...env });
  const { child, done } = started;
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const log = follow(started, 'krange ingest');
  // Ready when it logs ingest.listening, which names the URL it listens on.
  await log.until('ingest.listening', (ls) => ls.some((l) => l.event === 'ingest.listening'), 60_000);
  const url = String(log.events('ingest.listening')[0]?.['url']);
  return { url, child, done, log, output: () => out + err };
}

export interface KafkaRecord {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/** Every record of the topic, read with kcat. */
export function readTopic(topic: string): KafkaRecord[] {
  const text = execFileSync(
    'kcat',
    ['-b', brokers().join(','), '-C', '-t', topic, '-e', '-q', '-f', '%p\t%o\t%k\t%s\n'],
    { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
  );
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, o, k, ...v] = l.split('\t');
      return { partition: Number(p), offset: o ?? '', key: k ?? '', value: v.join('\t') };
    });
}

export async function clusterId(url: string): Promise<string> {
  const res = await fetch(`${url}/v3/clusters`);
  const body = (await res.json()) as { data: { cluster_id: string }[] };
  return body.data[0]?.cluster_id ?? '';
}
