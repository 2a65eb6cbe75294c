// schemathesis (PyPI) fuzzes `krange ingest` from its OpenAPI document: no 5xx, the gateway does
// not crash, and no record of a rejected request is stored: the records in Kafka are exactly those
// the gateway's answers acknowledged (counted from schemathesis's HAR log of every exchange).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterId, type GatewayProcess, readTopic, startGateway } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

const topic = uniqueName('fuzz');
const dir = mkdtempSync(join(tmpdir(), 'krange-fuzz-'));
let gw: GatewayProcess;

function schemathesis(): string[] {
  const local = spawnSync('schemathesis', ['--version']);
  if (local.status === 0) return ['schemathesis'];
  // Installed on demand from PyPI (CI machines start without it).
  execFileSync('python3', ['-m', 'pip', 'install', '--quiet', 'schemathesis==4.*'], { stdio: 'inherit' });
  return ['schemathesis'];
}

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content: { text?: string } };
}

/** Records the answers acknowledged for `topic`: v3 reports with error_code 200, v2 offsets without error. */
function acknowledged(entries: HarEntry[]): number {
  let n = 0;
  for (const e of entries) {
    const path = new URL(e.request.url).pathname;
    if (e.request.method !== 'POST' || e.response.status !== 200) continue;
    const text = e.response.content.text ?? '';
    if (path.endsWith(`/topics/${topic}/records`)) {
      for (const line of text.split('\n')) if (line.trim() !== '' && JSON.parse(line).error_code === 200) n++;
    } else if (path === `/topics/${topic}`) {
      for (const o of JSON.parse(text).offsets as { error_code: number | null }[])
        if (o.error_code === null) n++;
    }
  }
  return n;
}

beforeAll(async () => {
  await createTopic(topic, 2);
  gw = await startGateway(['--port', '0', '--max-record-bytes', '4096', '--max-request-bytes', '65536']);
});
afterAll(async () => {
  gw.child.kill('SIGTERM');
  await gw.done;
});

describe('fuzzing the gateway', () => {
  it('answers every generated request without a 5xx and stores only acknowledged records', async () => {
    const cid = await clusterId(gw.url);
    // The served document, with path parameters narrowed to this run's cluster and topics so the
    // generated bodies reach the produce code, not only the 404s.
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; schema: Record<string, unknown> }[] }>
      >;
    };
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops))
        for (const p of op.parameters ?? []) {
          if (p.name === 'cluster_id') p.schema = { type: 'string', enum: [cid] };
          if (p.name === 'topic_name') p.schema = { type: 'string', enum: [topic, `missing-${topic}`] };
        }
    const specPath = join(dir, 'openapi.json');
    writeFileSync(specPath, JSON.stringify(doc));
    const har = join(dir, 'exchanges.har');
    const [cmd] = schemathesis();
    const run = spawnSync(
      cmd as string,
      [
        'run',
        specPath,
        '--url',
        gw.url,
        '--checks',
        'not_a_server_error',
        '--max-examples',
        '100',
        '--phases',
        'examples,coverage,fuzzing',
        '--seed',
        '16',
        '--generation-database',
        'none',
        '--workers',
        '1',
        '--report',
        'har',
        '--report-har-path',
        har,
      ],
      { encoding: 'utf8', timeout: 170_000, cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(gw.child.exitCode).toBeNull();
    const entries = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries;
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.filter((e) => e.response.status >= 500)).toEqual([]);
    const acked = acknowledged(entries);
    expect(acked).toBeGreaterThan(0);
    expect(readTopic(topic).length).toBe(acked);
  });
});
