// Sender-side benchmarks (BENCHMARKS.md, "Ingest gateway and push agent"), loopback only and bounded
// in time: `krange ingest` under autocannon at 1, 100 and 1,000 records per request against a raw
// kafkajs producer sending the same records with the same settings (idempotent, acks=all) and the
// same concurrency, alternated A B A B in one run; latency at a fixed rate; 429s under overload;
// the push agent's lines/s from a generated NDJSON file.
//
//   node --import tsx bench/ingest-gateway.ts [--seconds 5] [--repeats 2] [--agent-mb 200]
//     [--only throughput,latency,overload,agent] [--agent-modes kafka,gateway-v3]
// The agent's file is written in chunks (a 1 GB file does not fit in one string) and removed after,
// like each topic.

import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { option } from './lib/args.ts';

const SECONDS = Number(option('--seconds') ?? '5');
const REPEATS = Number(option('--repeats') ?? '2');
const AGENT_MB = Number(option('--agent-mb') ?? '200');
const ONLY = (option('--only') ?? 'throughput,latency,overload,agent').split(',');
const AGENT_MODES = (option('--agent-modes') ?? 'gateway-v3,kafka').split(',') as ('gateway-v3' | 'kafka')[];
/** Concurrent requests (gateway) and concurrent send() loops (raw): the same for both, fewer for
 *  large requests so the run is not mostly the first round trips filling the pipeline. */
const connectionsFor = (n: number) => (n >= 1000 ? 8 : 32);
const BIN = resolve('bin/krange.mjs');
const brokers = (process.env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
const kafka = new Kafka({ clientId: 'bench-ingest', brokers, logLevel: logLevel.NOTHING });

/** A click event of about 200 bytes, as the demo produces. */
const event = (i: number) => ({
  event_id: `e-${i}`,
  user_id: i % 5000,
  ts: 1_700_000_000_000 + i,
  page: `/products/${i % 977}`,
  referrer: 'https://example.com/search?q=shoes',
  price: (i % 10_000) / 100,
  tags: ['a', 'b'],
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function withTopic<T>(fn: (topic: string) => Promise<T>): Promise<T> {
  const topic = `bench-ingest-${Math.random().toString(36).slice(2, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  try {
    return await fn(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

interface Gw {
  url: string;
  child: ChildProcess;
}

async function startGateway(args: string[] = []): Promise<Gw> {
  const child = spawn(process.execPath, [BIN, 'ingest', '--port', '0', ...args], {
    env: {
      ...process.env,
      KRANGE_LOG_LEVEL: 'warn',
      KRANGE_LOG_FORMAT: 'json',
      KRANGE_JOBS_DIR: '/nonexistent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) res(m[1]);
    });
    child.once('exit', (c) => rej(new Error(`gateway exited ${c}`)));
  });
  return { url, child };
}

async function stopGateway(g: Gw): Promise<number> {
  const hwm = peakRssMiB(g.child.pid);
  g.child.kill('SIGTERM');
  await new Promise((r) => g.child.once('exit', r));
  return hwm;
}

function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const v3Body = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ value: { type: 'JSON', data: event(from + i) } }),
  ).join('\n');

async function clusterId(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/v3/clusters`)).json()) as { data: { cluster_id: string }[] };
  return body.data[0]?.cluster_id ?? '';
}

/** Gateway records/s: autocannon posting n records per request for SECONDS. */
async function gatewayRate(
  g: Gw,
  topic: string,
  n: number,
  extra: { overallRate?: number; connections?: number } = {},
) {
  const cid = await clusterId(g.url);
  const r = await autocannon({
    url: `${g.url}/v3/clusters/${cid}/topics/${topic}/records`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: v3Body(n, 0),
    connections: extra.connections ?? connectionsFor(n),
    duration: SECONDS,
    timeout: 30,
    ...(extra.overallRate ? { overallRate: extra.overallRate } : {}),
  });
  const ok = r['2xx'];
  return {
    recordsPerSec: (ok * n) / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    codes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
    errors: r.errors,
  };
}

/** Raw kafkajs records/s: connectionsFor(n) loops each sending n records per send() for SECONDS. */
async function rawRate(topic: string, n: number): Promise<number> {
  const p = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await p.connect();
  const messages = Array.from({ length: n }, (_, i) => ({ value: JSON.stringify(event(i)) }));
  let sent = 0;
  const end = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: connectionsFor(n) }, async () => {
      while (Date.now() < end) {
        await p.send({ topic, acks: -1, messages });
        sent += n;
      }
    }),
  );
  const secs = (Date.now() - started) / 1000;
  await p.disconnect();
  return sent / secs;
}

async function throughput(): Promise<string[]> {
  const lines = [
    '| records per request | raw kafkajs rec/s | gateway rec/s | gateway / raw | gateway p50 / p99 ms |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const n of [1, 100, 1000]) {
    const raw: number[] = [];
    const gw: number[] = [];
    let lat = '';
    await withTopic(async (topic) => {
      const g = await startGateway();
      try {
        for (let i = 0; i < REPEATS; i++) {
          raw.push(await rawRate(topic, n));
          const r = await gatewayRate(g, topic, n);
          gw.push(r.recordsPerSec);
          lat = `${r.p50} / ${r.p99}`;
          console.log(
            `n=${n} run ${i + 1}: raw ${fmt(raw.at(-1) ?? 0)} rec/s, gateway ${fmt(r.recordsPerSec)} rec/s`,
            r.codes,
          );
        }
      } finally {
        await stopGateway(g);
      }
    });
    const ratios = raw.map((x, i) => (gw[i] ?? 0) / x);
    lines.push(
      `| ${fmt(n)} | ${fmt(median(raw))} | ${fmt(median(gw))} | ${(median(ratios) * 100).toFixed(0)}% (${ratios.map((x) => `${(x * 100).toFixed(0)}%`).join(', ')}) | ${lat} |`,
    );
  }
  return lines;
}

async function fixedRate(): Promise<string[]> {
  const lines = [
    '| records per request | offered requests/s | records/s | p50 ms | p99 ms |',
    '|---:|---:|---:|---:|---:|',
  ];
  await withTopic(async (topic) => {
    const g = await startGateway();
    try {
      for (const [n, rate] of [
        [100, 50],
        [100, 200],
        [1, 1000],
      ] as const) {
        const r = await gatewayRate(g, topic, n, { overallRate: rate, connections: 16 });
        lines.push(`| ${n} | ${rate} | ${fmt(r.recordsPerSec)} | ${r.p50} | ${r.p99} |`);
      }
    } finally {
      await stopGateway(g);
    }
  });
  return lines;
}

async function overload(): Promise<string[]> {
  const lines: string[] = [];
  await withTopic(async (topic) => {
    const g = await startGateway(['--in-flight-bytes', String(1024 * 1024)]);
    let r: Awaited<ReturnType<typeof gatewayRate>>;
    try {
      r = await gatewayRate(g, topic, 1000, { connections: 64 });
    } finally {
      const hwm = await stopGateway(g);
      lines.push(`gateway peak RSS ${hwm.toFixed(0)} MiB`);
    }
    const admin = kafka.admin();
    await admin.connect();
    const stored = (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
    await admin.disconnect();
    lines.unshift(
      `64 connections x 1,000 records (~190 KiB) per request, in-flight budget 1 MiB, ${SECONDS} s: ` +
        `status codes ${JSON.stringify(r.codes)}, ${fmt(r.recordsPerSec)} records/s acknowledged, ` +
        `${fmt(stored)} records in Kafka = ${fmt((r.codes['200'] ?? 0) * 1000)} acknowledged; p50 ${r.p50} ms, p99 ${r.p99} ms`,
    );
  });
  return lines;
}

async function agent(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-push-'));
  const file = join(dir, 'events.ndjson');
  const lines: string[] = [];
  let n = 0;
  let bytes = 0;
  writeFileSync(file, '');
  while (bytes < AGENT_MB * 1024 * 1024) {
    const chunk: string[] = [];
    for (let i = 0; i < 50_000; i++) chunk.push(JSON.stringify(event(n++)));
    const text = `${chunk.join('\n')}\n`;
    appendFileSync(file, text);
    bytes += text.length;
  }
  const out: string[] = [`${fmt(n)} lines, ${(bytes / 1024 / 1024).toFixed(0)} MiB`];
  try {
    for (const mode of AGENT_MODES) {
      await withTopic(async (topic) => {
        const g = mode === 'gateway-v3' ? await startGateway() : undefined;
        const dest = g ? ['--gateway', g.url] : ['--kafka'];
        const started = Date.now();
        const child = spawn(
          process.execPath,
          [
            BIN,
            'push',
            file,
            ...dest,
            '--topic',
            topic,
            '--until-eof',
            '--batch-records',
            '2000',
            '--batch-bytes',
            String(1024 * 1024),
            '--checkpoint',
            join(dir, `${mode}.cp.json`),
          ],
          { env: { ...process.env, KRANGE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const hwm = { v: 0 };
        const timer = setInterval(() => {
          hwm.v = Math.max(hwm.v, peakRssMiB(child.pid));
        }, 200);
        await new Promise((r) => child.once('exit', r));
        clearInterval(timer);
        const secs = (Date.now() - started) / 1000;
        if (g) await stopGateway(g);
        const admin = kafka.admin();
        await admin.connect();
        const stored = (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
        await admin.disconnect();
        out.push(
          `${mode}: ${secs.toFixed(1)} s, ${fmt(n / secs)} lines/s, ${(bytes / 1024 / 1024 / secs).toFixed(1)} MiB/s, agent peak RSS ${hwm.v.toFixed(0)} MiB, ${fmt(stored)} records in Kafka`,
        );
        process.stderr.write(`[bench] ${out.at(-1)}\n`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  lines.push(...out);
  return lines;
}

const report: string[] = [];
if (ONLY.includes('throughput'))
  report.push('### Throughput, gateway vs raw kafkajs', ...(await throughput()));
if (ONLY.includes('latency')) report.push('', '### Latency at a fixed rate', ...(await fixedRate()));
if (ONLY.includes('overload')) report.push('', '### Overload', ...(await overload()));
if (ONLY.includes('agent')) report.push('', '### Push agent', ...(await agent()));
console.log(`\n${report.join('\n')}`);
