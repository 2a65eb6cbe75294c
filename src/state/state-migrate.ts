// `krange state <job> migrate --to <url>`: copies a job's state (a local history, usually) into
// another store, under the job's lock in the source so no run moves it meanwhile. The target must
// hold nothing for the job yet. Every file is created exclusively in the target, plans before
// their commits, then read back and compared byte for byte, and the copy is opened as a StateStore
// whose positions, pending plan and history must equal the source's. The lease (lock.json,
// lock-generations/) and the local progress file are not copied: the new store starts its own
// lease. The source is left as it was; the job keeps using it until its `stateStore` names the new one.

import { Errors } from '../errors.ts';
import { JobLock } from './job-lock.ts';
import { readHistory } from './state-history.ts';
import type { StateStore } from './state-store.ts';

/** The job's files a migration copies, in the order they are created in the target. */
const TOP_FILES = ['metadata.json', 'history.jsonl'];
const FOLDERS = ['attempts', 'reruns', 'offsets', 'commits'];

export interface MigrationOutcome {
  files: number;
  bytes: number;
  from: string;
  to: string;
  committed: number | undefined;
  pending: number | undefined;
}

async function filesOf(store: StateStore): Promise<string[][]> {
  const out: string[][] = [];
  for (const f of TOP_FILES) if ((await store.backend.read(store.key(f))) !== undefined) out.push([f]);
  for (const d of FOLDERS) {
    const names = (await store.backend.list(store.key(d))).filter((n) => n.endsWith('.json'));
    const num = (n: string) => Number.parseInt(n, 10);
    names.sort((a, b) => num(a) - num(b) || (a < b ? -1 : 1));
    for (const n of names) out.push([d, n]);
  }
  return out;
}

const positions = (m: Map<string, bigint> | undefined) =>
  JSON.stringify([...(m ?? new Map<string, bigint>())].map(([k, v]) => [k, String(v)]).sort());

export async function migrateState(
  from: StateStore,
  to: StateStore,
  command: string,
): Promise<MigrationOutcome> {
  if (from.dir === to.dir) throw Errors.usage(`the job's state is already in ${to.dir}; nothing copied`);
  const present = await to.backend.list(to.key());
  if (present.length > 0)
    throw Errors.usage(
      `${to.dir} already holds state for job '${to.job}' (${present.slice(0, 5).join(', ')}); nothing copied. ` +
        'Migrate into a store with no state for this job (remove it there first if it is a failed copy)',
    );
  const lock = new JobLock(from.job, { backend: from.backend, dir: from.key() });
  await lock.acquire(command);
  try {
    const files = await filesOf(from);
    let bytes = 0;
    for (const parts of files) {
      const text = (await from.backend.read(from.key(...parts))) ?? '';
      bytes += Buffer.byteLength(text);
      if (!(await to.backend.createExclusive(to.key(...parts), text)))
        throw Errors.usage(`${to.path(...parts)} appeared while copying (another migration?); stopped`);
    }
    // Verify: each file byte for byte, then what a run would read from it.
    for (const parts of files) {
      const a = await from.backend.read(from.key(...parts));
      const b = await to.backend.read(to.key(...parts));
      if (a !== b)
        throw new Error(`verification failed: ${to.path(...parts)} differs from ${from.path(...parts)}`);
    }
    const [pa, pb] = [await from.committedPositions(), await to.committedPositions()];
    const [na, nb] = [await from.pendingIteration(), await to.pendingIteration()];
    const [ha, hb] = [(await readHistory(from)).length, (await readHistory(to)).length];
    if (positions(pa) !== positions(pb) || na !== nb || ha !== hb)
      throw new Error(
        `verification failed: the copy in ${to.dir} reads differently (positions, pending plan or history)`,
      );
    return {
      files: files.length,
      bytes,
      from: from.dir,
      to: to.dir,
      committed: await to.latestCommitted(),
      pending: nb,
    };
  } finally {
    await lock.release();
  }
}
