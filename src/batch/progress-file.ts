// state/<job>/progress.json: what the running iteration's tasks have done so far, rewritten a few
// times per second by the driver so another process (the console) can draw a progress bar per task.
// Ephemeral: replaced by rename (readers never see a torn file) but not fsynced, and removed when
// the iteration ends; a leftover from a killed runner is recognised by its dead pid in lock.json.
// Always a local file (the state folder on a local store, else <KRANGE_STATE_DIR>/<job>/ on the
// driver's host): rewritten four times a second, it is not worth a round trip to a shared store.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OffsetsFile, StateStore, TaskResultJson } from '../state/state-store.ts';

export type TaskState = 'queued' | 'running' | 'retrying' | 'done';

export interface TaskProgress {
  id: string;
  topic: string;
  partition: number;
  /** Records planned: end - begin. */
  planned: number;
  records: number;
  state: TaskState;
  attempt: number;
}

export interface ProgressFile {
  version: 1;
  job: string;
  iteration: number;
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** Worker threads of this process; 0 when the tasks run on `krange executor` processes. */
  workers: number;
  tasks: TaskProgress[];
}

/** Rewrites happen at most this often (ms). */
const WRITE_EVERY_MS = 250;

export function progressPath(store: StateStore): string {
  return join(store.localDir, 'progress.json');
}

export function readProgress(store: StateStore): ProgressFile | undefined {
  try {
    const raw = JSON.parse(readFileSync(progressPath(store), 'utf8')) as ProgressFile;
    return raw.version === 1 && Array.isArray(raw.tasks) ? raw : undefined;
  } catch {
    return undefined;
  }
}

export class ProgressWriter {
  private readonly file: ProgressFile;
  private readonly byId = new Map<string, TaskProgress>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: StateStore,
    plan: Pick<OffsetsFile, 'tasks' | 'iteration'>,
    workers: number,
  ) {
    const now = new Date().toISOString();
    this.file = {
      version: 1,
      job: store.job,
      iteration: plan.iteration,
      pid: process.pid,
      startedAt: now,
      updatedAt: now,
      workers,
      tasks: plan.tasks.map((t) => ({
        id: t.id,
        topic: t.topic,
        partition: t.partition,
        planned: Number(BigInt(t.end) - BigInt(t.begin)),
        records: 0,
        state: 'queued',
        attempt: 0,
      })),
    };
    for (const t of this.file.tasks) this.byId.set(t.id, t);
    this.write();
  }

  started(id: string, attempt: number): void {
    this.update(id, (t) => {
      t.state = 'running';
      t.attempt = attempt;
      t.records = 0;
    });
  }

  progress(id: string, records: number): void {
    this.update(id, (t) => {
      // Executors on other hosts report progress but no start: the first report is the start.
      if (t.state === 'queued') t.state = 'running';
      t.records = records;
    });
  }

  failed(id: string, retried: boolean): void {
    this.update(id, (t) => {
      t.state = retried ? 'retrying' : 'queued';
    });
  }

  done(r: TaskResultJson): void {
    this.update(r.id, (t) => {
      t.state = 'done';
      t.records = t.planned;
    });
  }

  private update(id: string, fn: (t: TaskProgress) => void): void {
    const t = this.byId.get(id);
    if (t === undefined || this.closed) return;
    fn(t);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, WRITE_EVERY_MS);
  }

  private write(): void {
    if (this.closed) return;
    this.file.updatedAt = new Date().toISOString();
    const path = progressPath(this.store);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      mkdirSync(this.store.localDir, { recursive: true });
      writeFileSync(tmp, JSON.stringify(this.file));
      renameSync(tmp, path);
    } catch {
      // Progress is a courtesy to viewers: never fail an iteration over it.
    }
  }

  /** Removes the file: the commit (or its absence) tells the rest. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    rmSync(progressPath(this.store), { force: true });
  }
}
