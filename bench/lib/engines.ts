// Runs the two engines as a user would: `krange run <job> --json` (node, bin/krange.mjs) and the
// Spark application in bench/spark, each a fresh process, timed from spawn to exit.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IterationOutcome } from '../../src/batch/run-iteration.ts';
import { assertOk, type RunResult, runMeasured } from './proc-tree.ts';
import { endpoints } from './services.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
const KRANGE_BIN = join(ROOT, 'bin/krange.mjs');
const SPARK_SH = join(ROOT, 'bench/spark/spark.sh');

export function freshStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'krange-bench-state-'));
}

export interface KrangeRun {
  run: RunResult;
  outcome: IterationOutcome | undefined;
}

export interface KrangeOptions {
  /** Job name or path. */
  job: string;
  stateDir: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** A command that runs node under it (e.g. `perf record -o f --`): the process measured is that command. */
  wrapper?: string[];
  args?: string[];
  /** Kills the process tree after this long. */
  timeoutMs?: number;
}

function krangeEnv(o: KrangeOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KRANGE_STATE_DIR: o.stateDir,
    KRANGE_LOG_FORMAT: 'json',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...o.env,
  };
}

/** `krange <args>` (default: run <job> --json); the outcome is parsed from the last stdout line. */
export async function runKrange(o: KrangeOptions): Promise<KrangeRun> {
  const args = o.args ?? ['run', o.job, '--json'];
  const [command, ...argv] = [
    ...(o.wrapper ?? []),
    process.execPath,
    ...(o.nodeFlags ?? []),
    KRANGE_BIN,
    ...args,
  ];
  const run = await runMeasured(command!, argv, {
    cwd: ROOT,
    env: krangeEnv(o),
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
  });
  assertOk(run, `krange ${args.join(' ')}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let outcome: IterationOutcome | undefined;
  if (last.startsWith('{')) outcome = JSON.parse(last) as IterationOutcome;
  return { run, outcome };
}

/** `krange reset <job> --to <offsets> --yes`: the next run reads from these offsets. */
export async function resetKrange(
  o: KrangeOptions,
  topic: string,
  offsets: Map<number, bigint>,
): Promise<void> {
  const to = JSON.stringify({
    [topic]: Object.fromEntries([...offsets].map(([p, off]) => [String(p), off.toString()])),
  });
  await runKrange({ ...o, args: ['reset', o.job, '--to', to, '--yes'] });
}

/** `node bin/krange.mjs --help`: the cost of starting the CLI at all. */
export async function krangeHelp(): Promise<RunResult> {
  return assertOk(
    await runMeasured(process.execPath, [KRANGE_BIN, '--help'], { cwd: ROOT }),
    'krange --help',
  );
}

export interface SparkRun {
  run: RunResult;
  /** The application's own split: session start-up and the query. */
  timings: { sessionMs: number; queryMs: number; totalMs: number } | undefined;
}

export async function buildSpark(): Promise<void> {
  assertOk(await runMeasured('bash', [SPARK_SH, 'build'], { cwd: ROOT }), 'bench/spark/spark.sh build');
}

/** The Spark side of W1; with `avsc`, of W1-Avro (bare Avro values decoded by from_avro with that schema). */
export async function runSpark(topic: string, outputUri: string, avsc?: string): Promise<SparkRun> {
  const args = avsc === undefined ? ['run'] : ['run-avro'];
  const run = await runMeasured(
    'bash',
    [
      SPARK_SH,
      ...args,
      endpoints.kafkaBrokers.join(','),
      topic,
      outputUri,
      ...(avsc === undefined ? [] : [avsc]),
    ],
    { cwd: ROOT },
  );
  assertOk(run, 'spark');
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return { run, timings: last.startsWith('{') ? (JSON.parse(last) as SparkRun['timings']) : undefined };
}

/** hdfs://<NameNode RPC> for Spark, from the local stack's ports. */
export function hdfsUri(path: string): string {
  const port = process.env['KRANGE_HDFS_NN_RPC_PORT'] ?? '19000';
  return `hdfs://127.0.0.1:${port}${path}`;
}
