// The job's state directory, Spark-checkpoint style and readable by people:
//   state/<job>/metadata.json       job id, schema hash, identity (topics and sinks: state-identity.ts)
//   state/<job>/offsets/<n>.json    the plan of iteration n, written before any task runs
//   state/<job>/commits/<n>.json    written only after every sink of every task succeeded
//   state/<job>/reruns/<n>-<t>.json a log of reruns (they never move the committed position)
//   state/<job>/attempts/<n>.json   who tried iteration n and how each attempt ended (attempt-log.ts)
// Files are versioned JSON, written atomically (tmp, fsync, rename, fsync dir). A file that does not
// parse is refused with a clear error: krange never resets state silently.

import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Errors, isKrangeError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { AttemptLog } from './attempt-log.ts';
import { commitMismatch } from './commit-check.ts';

const STATE_VERSION = 1;

const rangeFields = {
  topic: z.string(),
  partition: z.number().int().min(0),
  begin: z.string().regex(/^\d+$/),
  end: z.string().regex(/^\d+$/),
};

/** A range whose end is below its begin is impossible: refused wherever a range is read. */
function beginNotAfterEnd(r: { begin: string; end: string }, ctx: z.RefinementCtx): void {
  if (BigInt(r.begin) > BigInt(r.end))
    ctx.addIssue({ code: 'custom', message: `begin ${r.begin} is after end ${r.end}` });
}

const rangeJson = z.object(rangeFields).superRefine(beginNotAfterEnd);

const skippedJson = z.object({
  topic: z.string(),
  partition: z.number().int(),
  from: z.string(),
  to: z.string(),
  reason: z.enum(['offset-out-of-range', 'partition-gone', 'offset-went-backwards']),
});

const identityJson = z.object({
  /** Topic names sorted, or the RegExp as written (`/clicks-.*\/`). */
  topics: z.array(z.string()),
  /** Each sink's kind and target (`parquet webhdfs:///data/x`, `postgres public.t`), sorted. */
  sinks: z.array(z.string()),
  /** The module the identity was taken from (shown in a mismatch; not compared). */
  module: z.string(),
  boundAt: z.string(),
});

const metadataFile = z.object({
  version: z.literal(STATE_VERSION),
  job: z.string(),
  jobId: z.string(),
  schemaHash: z.string(),
  createdAt: z.string(),
  /** What job this directory belongs to (absent in directories of older releases until their next run). */
  identity: identityJson.optional(),
});

const offsetsFile = z.object({
  version: z.literal(STATE_VERSION),
  job: z.string(),
  iteration: z.number().int().min(0),
  /** `run`: a normal iteration; `reset`: a new starting point (empty ranges, committed at once). */
  kind: z.enum(['run', 'reset']),
  plannedAt: z.string(),
  schemaHash: z.string(),
  ranges: z.array(rangeJson),
  tasks: z.array(z.object({ ...rangeFields, id: z.string() }).superRefine(beginNotAfterEnd)),
  skipped: z.array(skippedJson),
});

const sinkStats = z.object({
  rows: z.number(),
  bytes: z.number(),
  durationMs: z.number(),
  /** Rows this sink refused, which stay in the job's other sinks (absent in older commits). */
  refused: z.number().optional(),
});

const taskResultJson = z.object({
  ...rangeFields,
  id: z.string(),
  records: z.number(),
  rows: z.number(),
  bytes: z.number(),
  badRecords: z.number(),
  files: z.array(z.string()),
  durationMs: z.number(),
  attempts: z.number(),
  sinks: z.record(z.string(), sinkStats),
});

const commitFile = z.object({
  version: z.literal(STATE_VERSION),
  job: z.string(),
  /** metadata.json's jobId when written (absent in commits of older releases). */
  jobId: z.string().optional(),
  iteration: z.number().int().min(0),
  /** The plan's ranges, repeated so a commit can be checked against its plan (absent in older commits). */
  ranges: z.array(rangeJson).optional(),
  committedAt: z.string(),
  durationMs: z.number(),
  records: z.number(),
  rows: z.number(),
  bytes: z.number(),
  badRecords: z.number(),
  /** Per sink name, the rows it refused (bad records that stay in the other sinks; absent when none). */
  refused: z.record(z.string(), z.number()).optional(),
  tasks: z.array(taskResultJson),
  skipped: z.array(skippedJson),
});

const rerunFile = z.object({
  version: z.literal(STATE_VERSION),
  job: z.string(),
  iteration: z.number().int(),
  finishedAt: z.string(),
  durationMs: z.number(),
  records: z.number(),
  tasks: z.array(taskResultJson),
});

export type StateMetadata = z.infer<typeof metadataFile>;
export type StateIdentity = z.infer<typeof identityJson>;
export type OffsetsFile = z.infer<typeof offsetsFile>;
export type CommitFile = z.infer<typeof commitFile>;
export type TaskResultJson = z.infer<typeof taskResultJson>;
export type RerunFile = z.infer<typeof rerunFile>;
export type SkippedRangeJson = z.infer<typeof skippedJson>;

export function stateRoot(): string {
  return process.env['KRANGE_STATE_DIR'] ?? 'state';
}

export class StateStore {
  readonly dir: string;

  constructor(
    readonly job: string,
    root: string = stateRoot(),
  ) {
    this.dir = join(root, job);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  private read<T>(path: string, schema: z.ZodType<T>): T {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw Errors.stateCorrupt(path, (err as Error).message);
    }
    const version = (raw as { version?: unknown } | null)?.version;
    if (version !== STATE_VERSION) throw Errors.stateVersion(path, version);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw Errors.stateCorrupt(path, `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  private write(path: string, value: unknown): void {
    writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  }

  readMetadata(): StateMetadata | undefined {
    const p = this.path('metadata.json');
    return existsSync(p) ? this.read(p, metadataFile) : undefined;
  }

  /** attempts/<n>.json: the runs that executed each plan and how they ended. */
  attemptLog(): AttemptLog {
    return new AttemptLog(this.job, this.path('attempts'));
  }

  writeMetadata(meta: StateMetadata): void {
    this.write(this.path('metadata.json'), meta);
  }

  /** Creates metadata.json on first use; returns the stored metadata. */
  ensureMetadata(schemaHash: string, identity?: StateIdentity): StateMetadata {
    const existing = this.readMetadata();
    if (existing !== undefined) return existing;
    const meta: StateMetadata = {
      version: STATE_VERSION,
      job: this.job,
      jobId: randomUUID(),
      schemaHash,
      createdAt: new Date().toISOString(),
      ...(identity === undefined ? {} : { identity }),
    };
    this.write(this.path('metadata.json'), meta);
    return meta;
  }

  updateSchemaHash(schemaHash: string): void {
    const meta = this.readMetadata();
    if (meta !== undefined && meta.schemaHash !== schemaHash) {
      this.write(this.path('metadata.json'), { ...meta, schemaHash });
    }
  }

  private numbers(sub: string): number[] {
    const d = this.path(sub);
    if (!existsSync(d)) return [];
    return readdirSync(d)
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
  }

  iterations(): number[] {
    return this.numbers('offsets');
  }

  committedIterations(): number[] {
    return this.numbers('commits');
  }

  latestIteration(): number | undefined {
    return this.iterations().at(-1);
  }

  latestCommitted(): number | undefined {
    return this.committedIterations().at(-1);
  }

  hasOffsets(n: number): boolean {
    return existsSync(this.path('offsets', `${n}.json`));
  }

  hasCommit(n: number): boolean {
    return existsSync(this.path('commits', `${n}.json`));
  }

  readOffsets(n: number): OffsetsFile {
    return this.read(this.path('offsets', `${n}.json`), offsetsFile);
  }

  readCommit(n: number): CommitFile {
    return this.read(this.path('commits', `${n}.json`), commitFile);
  }

  writeOffsets(o: Omit<OffsetsFile, 'version'>): void {
    this.write(this.path('offsets', `${o.iteration}.json`), { version: STATE_VERSION, ...o });
  }

  /** Writes commits/<n>.json, stamped with metadata.json's jobId so it cannot be mistaken for another job's. */
  writeCommit(c: Omit<CommitFile, 'version' | 'jobId'>): void {
    const jobId = this.readMetadata()?.jobId;
    const { job, iteration, ...rest } = c;
    this.write(this.path('commits', `${iteration}.json`), {
      version: STATE_VERSION,
      job,
      ...(jobId === undefined ? {} : { jobId }),
      iteration,
      ...rest,
    });
  }

  /**
   * The commit of iteration n, checked against its plan (job, job id, iteration, ranges, tasks).
   * Throws KRANGE_STATE_CORRUPT naming the file and what to do when it does not commit that plan.
   */
  verifiedCommit(n: number): CommitFile {
    const path = this.path('commits', `${n}.json`);
    let commit: CommitFile;
    try {
      commit = this.readCommit(n);
    } catch (err) {
      if (isKrangeError(err, 'KRANGE_STATE_CORRUPT') || isKrangeError(err, 'KRANGE_STATE_VERSION'))
        throw Errors.commitInvalid(this.job, path, n, err.message);
      throw err;
    }
    const reason = commitMismatch(this.readOffsets(n), commit, this.readMetadata()?.jobId);
    if (reason !== undefined) throw Errors.commitInvalid(this.job, path, n, reason);
    return commit;
  }

  writeRerun(r: Omit<RerunFile, 'version'>): string {
    const p = this.path('reruns', `${r.iteration}-${r.finishedAt.replace(/[:.]/g, '')}.json`);
    this.write(p, { version: STATE_VERSION, ...r });
    return p;
  }

  /**
   * The plan the next run must execute first: the newest offsets file when it has no commit
   * (Spark's rule: an uncommitted plan is re-run exactly, never re-planned).
   */
  pendingIteration(): number | undefined {
    const latest = this.latestIteration();
    if (latest === undefined) return undefined;
    if (!this.hasCommit(latest)) return latest;
    // A commit is trusted only once it is checked: a damaged one must not hide an unfinished plan.
    this.verifiedCommit(latest);
    return undefined;
  }

  /** End positions of the newest committed iteration (its commit checked): where the next plan begins. */
  committedPositions(): Map<string, bigint> | undefined {
    const n = this.committedIterations()
      .filter((i) => this.hasOffsets(i))
      .at(-1);
    if (n === undefined) return undefined;
    this.verifiedCommit(n);
    const plan = this.readOffsets(n);
    return new Map(plan.ranges.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.end)]));
  }
}
