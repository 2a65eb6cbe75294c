// Reads the .cpuprofile files that `node --cpu-prof` writes (one per thread: the driver, each
// worker, and tsx's loader threads) and splits each thread's time into pipeline stages. A sample
// belongs to the deepest frame on its stack that a rule recognises (JSON.parse called from the
// json decoder is `decode`; Buffer work under kafkajs is `fetch`), else to `other`. Frames in
// compiled krange (dist/) are mapped back to their TypeScript sources through the build's source maps
// first, so the rules see src/... paths.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

const maps = new Map<string, SourceMap | undefined>();

/** The source position of a frame in dist/ (file URL, 0-based line), else the frame. */
function original(f: CallFrame): CallFrame {
  if (!f.url.includes('/dist/') || !f.url.startsWith('file://')) return f;
  const file = fileURLToPath(f.url);
  let map = maps.get(file);
  if (!maps.has(file)) {
    map = existsSync(`${file}.map`)
      ? new SourceMap(
          JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0],
        )
      : undefined;
    maps.set(file, map);
  }
  const e = map?.findEntry(f.lineNumber, f.columnNumber) as
    | { originalSource?: string; originalLine?: number }
    | undefined;
  if (e?.originalSource === undefined) return f;
  const src = e.originalSource.startsWith('file://')
    ? e.originalSource
    : `file://${resolve(dirname(file), e.originalSource)}`;
  return { ...f, url: src, lineNumber: e.originalLine ?? f.lineNumber };
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const STAGES = [
  'fetch',
  'decode',
  'transform',
  'check',
  'encode-arrow',
  'encode-parquet',
  'upload',
  'runtime',
  'startup',
  'gc',
  'other',
  'idle',
] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABEL: Record<Stage, string> = {
  fetch: 'fetch (Fetch requests, record batch decoding)',
  decode: 'decode (JSON.parse or the byte scanner)',
  transform: "transform (the job's function)",
  check: 'check (schema coerce per row)',
  'encode-arrow': 'encode: rows -> Arrow columns',
  'encode-parquet': 'encode: Arrow IPC -> Parquet (parquet-wasm)',
  upload: 'upload (WebHDFS, http)',
  runtime: 'krange runtime (task loop, sinks, pool)',
  startup: 'start-up (module loading, compile)',
  gc: 'garbage collection',
  other: 'other (V8/native: program, Buffer, streams)',
  idle: 'idle (waiting on I/O)',
};

/** Ordered: the first rule that matches a frame gives its stage. */
const RULES: [Stage, (f: CallFrame) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['gc', (f) => f.functionName === '(garbage collector)'],
  [
    'startup',
    (f) =>
      /\/tsx\/|\/esbuild\/|node:internal\/modules|node:internal\/(process\/)?(pre_execution|bootstrap)/.test(
        f.url,
      ),
  ],
  ['check', (f) => /src\/records\/(coerce|time)\.ts/.test(f.url)],
  ['encode-arrow', (f) => /src\/sinks\/parquet\/arrow-columns\.ts/.test(f.url)],
  [
    'encode-parquet',
    (f) => /src\/sinks\/parquet\/parquet-encoder\.ts|parquet-wasm|apache-arrow|^wasm:\/\//.test(f.url),
  ],
  [
    'upload',
    (f) =>
      /src\/hdfs\/|src\/fs\/|node:_http_|node:http|node:net|node:internal\/streams\/(pipeline|writable)/.test(
        f.url,
      ),
  ],
  [
    'decode',
    (f) =>
      /src\/records\/(decoders|exact-json|json-scanner|fast-path)\.ts|src\/records\/decoders\//.test(f.url),
  ],
  // The job's module: its source through tsx, or its build in the job cache.
  ['transform', (f) => /\/jobs\/[^/]+\.ts$|\/krange-jobs\/[^/]+\.mjs$/.test(f.url)],
  ['fetch', (f) => /kafkajs|src\/kafka\//.test(f.url)],
  ['runtime', (f) => /\/src\/|pino|thread-stream/.test(f.url)],
];

function stageOf(f: CallFrame): Stage | undefined {
  for (const [stage, test] of RULES) if (test(f)) return stage;
  return undefined;
}

export interface ThreadProfile {
  file: string;
  totalMs: number;
  stages: Record<Stage, number>;
  /** Self time per function, ms: "name (file:line)". */
  functions: Map<string, { ms: number; stage: Stage }>;
}

export function readProfile(path: string): ThreadProfile {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  for (const n of p.nodes) n.callFrame = original(n.callFrame);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const stage = new Map<number, Stage>();
  // Parents come before children in a pre-order walk from the root.
  const root = p.nodes[0]!;
  const walk = (n: ProfileNode, inherited: Stage): void => {
    const own = stageOf(n.callFrame) ?? inherited;
    stage.set(n.id, own);
    for (const c of n.children ?? []) walk(byId.get(c)!, own);
  };
  walk(root, 'other');
  const stages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const functions = new Map<string, { ms: number; stage: Stage }>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const s = stage.get(id) ?? 'other';
    stages[s] += ms;
    const f = byId.get(id)!.callFrame;
    const file = f.url.includes('node_modules/')
      ? (f.url.split('node_modules/').pop() ?? '')
      : (f.url.split('/').pop() ?? '');
    const key = `${f.functionName || '(anonymous)'} (${file || 'native'}${f.url ? `:${f.lineNumber + 1}` : ''})`;
    const e = functions.get(key) ?? { ms: 0, stage: s };
    e.ms += ms;
    functions.set(key, e);
  }
  return { file: path, totalMs: (p.endTime - p.startTime) / 1000, stages, functions };
}

export interface ProfileSummary {
  threads: { file: string; totalMs: number; busyMs: number; role: string }[];
  /** Summed over the worker threads (those that fetched), ms. */
  workerStages: Record<Stage, number>;
  workerBusyMs: number;
  topFunctions: { name: string; stage: Stage; ms: number; pct: number }[];
}

export function summarizeProfiles(dir: string, top = 15): ProfileSummary {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const threads = files.map((f) => readProfile(join(dir, f)));
  const busy = (t: ThreadProfile) => t.totalMs - t.stages.idle;
  // Worker threads fetch and are busy most of the run; the driver and tsx's loader threads idle.
  const isWorker = (t: ThreadProfile) => t.stages.fetch > 0 && busy(t) > 0.25 * t.totalMs;
  const workers = threads.filter(isWorker);
  const workerStages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const fns = new Map<string, { ms: number; stage: Stage }>();
  for (const t of workers) {
    for (const s of STAGES) workerStages[s] += t.stages[s];
    for (const [k, v] of t.functions) {
      const e = fns.get(k) ?? { ms: 0, stage: v.stage };
      e.ms += v.ms;
      fns.set(k, e);
    }
  }
  const workerBusyMs = workers.reduce((s, t) => s + busy(t), 0);
  const topFunctions = [...fns]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([name, v]) => ({ name, stage: v.stage, ms: v.ms, pct: (100 * v.ms) / workerBusyMs }));
  return {
    threads: threads.map((t, i) => ({
      file: t.file.split('/').pop() ?? t.file,
      totalMs: t.totalMs,
      busyMs: busy(t),
      role: isWorker(t) ? 'worker' : i === 0 ? 'driver' : 'loader/other',
    })),
    workerStages,
    workerBusyMs,
    topFunctions,
  };
}
