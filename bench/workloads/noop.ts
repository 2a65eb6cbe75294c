// No-op iteration: `krange run` of a job that has nothing new (its state has committed every
// offset). Reported three ways: the process's wall time; the outcome's durationMs (lock, plan
// against Kafka, decide there is nothing to do: the time after start-up); and wall time minus that
// of `krange --help` (the cost of starting node, tsx and the CLI at all).

import { krangeHelp, runKrange } from '../lib/engines.ts';
import { type Summary, summarize } from '../lib/stats.ts';

export interface NoopResult {
  repeats: number;
  wallMs: Summary;
  durationMs: Summary;
  helpWallMs: Summary;
  /** median wall - median --help wall. */
  afterStartupMs: number;
  statuses: string[];
}

export async function benchNoop(o: {
  stateDir: string;
  env: Record<string, string>;
  repeats: number;
}): Promise<NoopResult> {
  const walls: number[] = [];
  const durations: number[] = [];
  const helps: number[] = [];
  const statuses: string[] = [];
  for (let i = 0; i < o.repeats; i++) {
    const { run, outcome } = await runKrange({ job: 'clickstream', stateDir: o.stateDir, env: o.env });
    walls.push(run.wallMs);
    if (outcome) durations.push(outcome.durationMs);
    statuses.push(outcome?.status ?? 'unknown');
    helps.push((await krangeHelp()).wallMs);
  }
  const wallMs = summarize(walls);
  const helpWallMs = summarize(helps);
  process.stderr.write(
    `[bench] no-op: wall ${(wallMs.median / 1000).toFixed(2)} s, durationMs ${summarize(durations).median}, --help ${(helpWallMs.median / 1000).toFixed(2)} s\n`,
  );
  return {
    repeats: o.repeats,
    wallMs,
    durationMs: summarize(durations),
    helpWallMs,
    afterStartupMs: wallMs.median - helpWallMs.median,
    statuses,
  };
}
