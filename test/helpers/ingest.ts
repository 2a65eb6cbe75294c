// Starts `krange ingest` as a child process and reads its URL from stdout; reads topics back with
// kcat (a reader krange did not write).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { type CliResult, startCli } from './cli.ts';
import { brokers } from './kafka.ts';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  done: Promise<CliResult>;
  output(): string;
}

export async function startGateway(
  args: string[],
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const { child, done } = startCli(['ingest', ...args], { KRANGE_JOBS_DIR: '/nonexistent-jobs-dir', ...env });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void done.then((r) => reject(new Error(`krange ingest exited ${r.code}: ${r.stderr}`)));
  });
  return { url, child, done, output: () => out + err };
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
