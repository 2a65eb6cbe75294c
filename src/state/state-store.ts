// The job's state directory, Spark-checkpoint style and readable by people:
//   state/<job>/metadata.json       job id, schema hash, identity (topics and sinks: state-identity.ts)
//   state/<job>/offsets/<n>.json    the plan of iteration n, written before any task runs
//   state/<job>/commits/<n>.json    written only after every sink of every task succeeded
//   state/<job>/reruns/<n>-<t>.json a log of reruns (they never move the committed position)
//   state/<job>/attempts/<n>.json   who tried iteration n and how each attempt ended (attempt-log.ts)
// Files are versioned JSON in a StateBackend (state-backend.ts: a local directory by default),
// replaced atomically; a plan and a commit are created exclusively (a second driver that planned or
// committed the same iteration loses with KRANGE_ITERATION_TAKEN). A file that does not parse is
// refused with a clear error naming it: krange never resets silently.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { Errors, isKrangeError } from '../errors.ts';
import { AttemptLog } from './attempt-log.ts';
import { commitMismatch } from './commit-check.ts';
import { joinKey, type StateBackend } from './state-backend.ts';
import { defaultStateLocation, openStateBackend, stateRoot } from './state-location.ts';

export { stateRoot };

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

/** Parses a versioned state file's text, or throws KRANGE_STATE_CORRUPT / _VERSION naming where it is. */
export function parseStateFile<T>(
  where: string,
  text: string,
  schema: z.ZodType<T>,
  expectedVersion: number = STATE_VERSION,
): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw Errors.stateCorrupt(where, (err as Error).message);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== expectedVersion) throw Errors.stateVersion(where, version);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw Errors.stateCorrupt(where, `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The store of a job: its own `stateStore` when it names one, else `root` (a caller's override,
 * such as the console's or a test's directory), else KRANGE_STATE_URL / KRANGE_STATE_DIR / ./state.
 */
export function jobStateStore(
  spec: { name: string; stateStore?: string | undefined },
  root?: string,
): StateStore {
  return new StateStore(spec.name, spec.stateStore ?? root ?? defaultStateLocation());
}

export class StateStore {
  readonly backend: StateBackend;
  /** The job's folder as people read it (a path or a URL): named in messages. */
  readonly dir: string;

  constructor(
    readonly job: string,
    root: string | StateBackend = defaultStateLocation(),
  ) {
    this.backend = typeof root === 'string' ? openStateBackend(root) : root;
    this.dir = this.backend.describe(job);
  }

  /** The backend key of a file of this job (`<job>/offsets/3.json`). */
  key(...parts: string[]): string {
    return joinKey(this.job, ...parts);
  }

  /** Where a file of this job lives, for messages: its path on a local store, else its URL. */
  path(...parts: string[]): string {
    return this.backend.describe(this.key(...parts));
  }

  /**
   * A local folder for this job's ephemeral files (progress.json): the state folder itself on a
   * local store, else `<KRANGE_STATE_DIR>/<job>` on this host.
   */
  get localDir(): string {
    return this.backend.localPath?.(this.job) ?? join(stateRoot(), this.job);
  }

  private async read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const text = await this.backend.read(key);
    return text === undefined ? undefined : parseStateFile(this.backend.describe(key), text, schema);
  }

  private async readExisting<T>(key: string, schema: z.ZodType<T>): Promise<T> {
    const v = await this.read(key, schema);
    if (v === undefined) throw Errors.stateCorrupt(this.backend.describe(key), 'the file does not exist');
    return v;
  }

  private async write(key: string, value: unknown): Promise<void> {
    await this.backend.replace(key, json(value));
  }

  /** Creates a plan or commit file; a second writer of the same iteration loses. */
  private async create(key: string, value: unknown, what: 'plan' | 'commit', n: number): Promise<void> {
    if (!(await this.backend.createExclusive(key, json(value))))
      throw Errors.iterationTaken(this.job, what, n, this.backend.describe(key));
  }

  readMetadata(): Promise<StateMetadata | undefined> {
    return this.read(this.key('metadata.json'), metadataFile);
  }

  /** attempts/<n>.json: the runs that executed each plan and how they ended. */
  attemptLog(): AttemptLog {
    return new AttemptLog(this.job, this.backend, this.key('attempts'));
  }

  async writeMetadata(meta: StateMetadata): Promise<void> {
    await this.write(this.key('metadata.json'), meta);
  }

  /** Creates metadata.json on first use; returns the stored metadata. */
  async ensureMetadata(schemaHash: string, identity?: StateIdentity): Promise<StateMetadata> {
    const existing = await this.readMetadata();
    if (existing !== undefined) return existing;
    const meta: StateMetadata = {
      version: STATE_VERSION,
      job: this.job,
      jobId: randomUUID(),
      schemaHash,
      createdAt: new Date().toISOString(),
      ...(identity === undefined ? {} : { identity }),
    };
    await this.write(this.key('metadata.json'), meta);
    return meta;
  }

  async updateSchemaHash(schemaHash: string): Promise<void> {
    const meta = await this.readMetadata();
    if (meta !== undefined && meta.schemaHash !== schemaHash) {
      await this.write(this.key('metadata.json'), { ...meta, schemaHash });
    }
  }

  private async numbers(sub: string): Promise<number[]> {
    return (await this.backend.list(this.key(sub)))
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
  }

  iterations(): Promise<number[]> {
    return this.numbers('offsets');
  }

  committedIterations(): Promise<number[]> {
    return this.numbers('commits');
  }

  async latestIteration(): Promise<number | undefined> {
    return (await this.iterations()).at(-1);
  }

  async latestCommitted(): Promise<number | undefined> {
    return (await this.committedIterations()).at(-1);
  }

  async hasOffsets(n: number): Promise<boolean> {
    return (await this.backend.read(this.key('offsets', `${n}.json`))) !== undefined;
  }

  async hasCommit(n: number): Promise<boolean> {
    return (await this.backend.read(this.key('commits', `${n}.json`))) !== undefined;
  }

  readOffsets(n: number): Promise<OffsetsFile> {
    return this.readExisting(this.key('offsets', `${n}.json`), offsetsFile);
  }

  /** The commit of iteration n, or undefined when it has none (one read, not two). */
  readCommitIfAny(n: number): Promise<CommitFile | undefined> {
    return this.read(this.key('commits', `${n}.json`), commitFile);
  }

  readCommit(n: number): Promise<CommitFile> {
    return this.readExisting(this.key('commits', `${n}.json`), commitFile);
  }

  /** Writes offsets/<n>.json exclusively: a plan of n written by another driver wins (KRANGE_ITERATION_TAKEN). */
  async writeOffsets(o: Omit<OffsetsFile, 'version'>): Promise<void> {
    await this.create(
      this.key('offsets', `${o.iteration}.json`),
      { version: STATE_VERSION, ...o },
      'plan',
      o.iteration,
    );
  }

  /**
   * Writes commits/<n>.json exclusively, stamped with metadata.json's jobId so it cannot be mistaken
   * for another job's; a commit of n written by another driver wins (KRANGE_ITERATION_TAKEN).
   */
  async writeCommit(c: Omit<CommitFile, 'version' | 'jobId'>): Promise<void> {
    const jobId = (await this.readMetadata())?.jobId;
    const { job, iteration, ...rest } = c;
    await this.create(
      this.key('commits', `${iteration}.json`),
      {
        version: STATE_VERSION,
        job,
        ...(jobId === undefined ? {} : { jobId }),
        iteration,
        ...rest,
      },
      'commit',
      iteration,
    );
  }

  /**
   * The commit of iteration n, checked against its plan (job, job id, iteration, ranges, tasks).
   * Throws KRANGE_STATE_CORRUPT naming the file and what to do when it does not commit that plan.
   */
  async verifiedCommit(n: number): Promise<CommitFile> {
    const path = this.path('commits', `${n}.json`);
    let commit: CommitFile;
    try {
      commit = await this.readCommit(n);
    } catch (err) {
      if (isKrangeError(err, 'KRANGE_STATE_CORRUPT') || isKrangeError(err, 'KRANGE_STATE_VERSION'))
        throw Errors.commitInvalid(this.job, path, n, err.message);
      throw err;
    }
    const reason = commitMismatch(await this.readOffsets(n), commit, (await this.readMetadata())?.jobId);
    if (reason !== undefined) throw Errors.commitInvalid(this.job, path, n, reason);
    return commit;
  }

  /** Writes reruns/<n>-<time>.json; returns where. */
  async writeRerun(r: Omit<RerunFile, 'version'>): Promise<string> {
    const key = this.key('reruns', `${r.iteration}-${r.finishedAt.replace(/[:.]/g, '')}.json`);
    await this.write(key, { version: STATE_VERSION, ...r });
    return this.backend.describe(key);
  }

  /**
   * The plan the next run must execute first: the newest offsets file when it has no commit
   * (Spark's rule: an uncommitted plan is re-run exactly, never re-planned).
   */
  async pendingIteration(): Promise<number | undefined> {
    const latest = await this.latestIteration();
    if (latest === undefined) return undefined;
    if (!(await this.hasCommit(latest))) return latest;
    // A commit is trusted only once it is checked: a damaged one must not hide an unfinished plan.
    await this.verifiedCommit(latest);
    return undefined;
  }

  /** End positions of the newest committed iteration (its commit checked): where the next plan begins. */
  async committedPositions(): Promise<Map<string, bigint> | undefined> {
    const planned = new Set(await this.iterations());
    const n = (await this.committedIterations()).filter((i) => planned.has(i)).at(-1);
    if (n === undefined) return undefined;
    await this.verifiedCommit(n);
    const plan = await this.readOffsets(n);
    return new Map(plan.ranges.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.end)]));
  }
}
