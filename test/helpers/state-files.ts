// Reading and hand-writing a job's state files, as an operator (or a damaged disk) would.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchFixture } from './batch.ts';
import { cli } from './cli.ts';

export function statePath(f: BatchFixture, ...parts: string[]): string {
  return join(f.stateDir, f.job, ...parts);
}

export function readStateJson(f: BatchFixture, ...parts: string[]): Record<string, unknown> {
  return JSON.parse(readFileSync(statePath(f, ...parts), 'utf8')) as Record<string, unknown>;
}

export function hasStateFile(f: BatchFixture, ...parts: string[]): boolean {
  return existsSync(statePath(f, ...parts));
}

/** Writes the next plan (`krange plan --json`) as offsets/<n>.json without running it: a pending iteration. */
export async function writePendingPlan(f: BatchFixture, jobArg: string): Promise<Record<string, unknown>> {
  const out = await cli(['plan', jobArg, '--json'], f.env);
  if (out.code !== 0) throw new Error(`plan failed: ${out.stderr}`);
  const { pending: _pending, ...plan } = JSON.parse(out.stdout) as Record<string, unknown>;
  const file = { version: 1, ...plan };
  mkdirSync(statePath(f, 'offsets'), { recursive: true });
  writeFileSync(statePath(f, 'offsets', `${String(plan['iteration'])}.json`), JSON.stringify(file, null, 2));
  return file;
}
