// A state directory belongs to one job: metadata.json records the job's identity (its topics and
// its sinks' targets) with the first run, and every later run, rerun, reset and plan compares it
// with the job it was given. Two job modules declaring one name, or a job whose inputs or outputs
// changed, can then never adopt another job's positions silently: the mismatch is refused until
// `krange state <job> --rebind` binds the directory to the job as it is now, on purpose.

import { Errors, type KrangeError } from '../errors.ts';
import type { SinkSpec } from '../job/options/sink-options.ts';
import type { StateIdentity, StateStore } from './state-store.ts';

export interface IdentitySource {
  name: string;
  topics: string[] | RegExp;
  sinks: SinkSpec[];
}

/** Where a sink writes, without its server address (the same job may move between clusters). */
function sinkTarget(s: SinkSpec): string {
  switch (s.kind) {
    case 'parquet':
      return `parquet ${s.path}`;
    case 'mongo':
      return `mongo ${s.database}.${s.collection}`;
    case 'redis':
      return `redis ${s.mode} ${s.key}`;
    case 'postgres':
      return `postgres ${s.schema}.${s.table}`;
    case 'kafka':
      return `kafka ${s.topic}`;
  }
}

/** PURE: the identity a job's state directory is bound to. */
export function jobIdentity(job: IdentitySource, modulePath: string): StateIdentity {
  return {
    topics: Array.isArray(job.topics) ? [...job.topics].sort() : [String(job.topics)],
    sinks: job.sinks.map(sinkTarget).sort(),
    module: modulePath,
    boundAt: new Date().toISOString(),
  };
}

function listDiff(what: string, bound: string[], now: string[]): string[] {
  const added = now.filter((x) => !bound.includes(x));
  const removed = bound.filter((x) => !now.includes(x));
  return [
    ...removed.map((x) => `${what} ${x} is bound but not in the job`),
    ...added.map((x) => `${what} ${x} is in the job but not bound`),
  ];
}

/** PURE: what differs between the bound identity and the job's (empty when they match). */
export function identityDifferences(bound: StateIdentity, now: StateIdentity): string[] {
  return [...listDiff('topic', bound.topics, now.topics), ...listDiff('sink', bound.sinks, now.sinks)];
}

export function identityMismatch(
  job: string,
  dir: string,
  bound: StateIdentity,
  differences: string[],
): KrangeError {
  return Errors.stateIdentity({ job, dir, module: bound.module, boundAt: bound.boundAt, differences });
}

export type IdentityCheck =
  | { status: 'matches' }
  | { status: 'unbound' }
  | { status: 'differs'; bound: StateIdentity; differences: string[] };

/** Compares the directory's bound identity with the job's, writing nothing. */
export async function compareIdentity(
  store: StateStore,
  job: IdentitySource,
  modulePath: string,
): Promise<IdentityCheck> {
  const bound = (await store.readMetadata())?.identity;
  if (bound === undefined) return { status: 'unbound' };
  const differences = identityDifferences(bound, jobIdentity(job, modulePath));
  return differences.length === 0 ? { status: 'matches' } : { status: 'differs', bound, differences };
}

/** Refuses a job whose identity differs from the directory's (plan: nothing is written). */
export async function assertIdentity(
  store: StateStore,
  job: IdentitySource,
  modulePath: string,
): Promise<void> {
  const c = await compareIdentity(store, job, modulePath);
  if (c.status === 'differs') throw identityMismatch(job.name, store.dir, c.bound, c.differences);
}

/**
 * Under the job lock, before a run, rerun or reset writes anything: refuses a mismatch, creates
 * metadata.json with the identity on first use, and binds a directory of an older release that has
 * none (returned as 'bound' so the caller can say so).
 */
export async function bindIdentity(
  store: StateStore,
  job: IdentitySource,
  modulePath: string,
  schemaHash: string,
): Promise<'matches' | 'bound' | 'created'> {
  const identity = jobIdentity(job, modulePath);
  const meta = await store.readMetadata();
  if (meta === undefined) {
    await store.ensureMetadata(schemaHash, identity);
    return 'created';
  }
  if (meta.identity === undefined) {
    await store.writeMetadata({ ...meta, identity });
    return 'bound';
  }
  const differences = identityDifferences(meta.identity, identity);
  if (differences.length > 0) throw identityMismatch(job.name, store.dir, meta.identity, differences);
  return 'matches';
}

/** `krange state <job> --rebind`: binds the directory to the job as it is now; returns the old binding. */
export async function rebindIdentity(
  store: StateStore,
  job: IdentitySource,
  modulePath: string,
  schemaHash: string,
): Promise<StateIdentity | undefined> {
  const meta = await store.readMetadata();
  const identity = jobIdentity(job, modulePath);
  if (meta === undefined) {
    await store.ensureMetadata(schemaHash, identity);
    return undefined;
  }
  await store.writeMetadata({ ...meta, identity });
  return meta.identity;
}
