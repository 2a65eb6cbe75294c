// `reset`: where the next iteration begins. A reset is first resolved into a preview (every
// partition with its current position, its new one and what the next run would read), checked
// against the job and the log, and only then written: an iteration of kind `reset` with empty
// ranges at the new positions, committed at once, under the job lock.

import type { Logger } from 'pino';
import { Errors } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { type StartingOffsets, startingOffsetsSchema } from '../job/job-spec.ts';
import { schemaHash } from '../job/schema.ts';
import { jobWatermarks, startingPositions } from '../kafka/offset-reader.ts';
import { rangeToJson, tpKey } from '../offset-range.ts';
import type { PartitionWatermarks } from '../plan/planner.ts';
import { assertIdentity } from '../state/state-identity.ts';
import { jobStateStore, type OffsetsFile } from '../state/state-store.ts';
import { bindStateDir, lockFor, withAdmin } from './run-iteration.ts';

export interface ResetRow {
  topic: string;
  partition: number;
  /** Where the next run begins today (null: the job never committed this partition). */
  current: string | null;
  /** Where it begins after the reset. */
  next: string;
  logStart: string;
  logEnd: string;
  /** Not named by an explicit `--to` JSON: keeps its position. */
  kept: boolean;
}

export interface ResetPreview {
  job: string;
  /** The iteration number the reset will take. */
  iteration: number;
  /** An uncommitted plan the reset abandons (its records are re-read from the new positions). */
  abandons: number | undefined;
  rows: ResetRow[];
}

function explicitTarget(
  target: StartingOffsets,
): Record<string, Record<string, number | string>> | undefined {
  if (target === 'earliest' || target === 'latest' || 'timestamp' in target) return undefined;
  return target as Record<string, Record<string, number | string>>;
}

/** Refuses topics and partitions an explicit target names that the job does not read. */
function checkNames(
  job: string,
  explicit: Record<string, Record<string, unknown>>,
  marks: PartitionWatermarks[],
) {
  const topics = [...new Set(marks.map((m) => m.topic))];
  for (const [topic, parts] of Object.entries(explicit)) {
    if (!topics.includes(topic))
      throw Errors.usage(
        `reset of job '${job}': topic '${topic}' is not read by this job (its topics: ${topics.join(', ')}); nothing changed`,
      );
    const partitions = marks.filter((m) => m.topic === topic).map((m) => m.partition);
    for (const p of Object.keys(parts)) {
      if (!partitions.includes(Number(p)) || !/^\d+$/.test(p))
        throw Errors.usage(
          `reset of job '${job}': ${topic} has no partition '${p}' (partitions ${partitions.join(', ')}); nothing changed`,
        );
    }
  }
}

/** Resolves and checks a reset without changing anything. */
export async function previewReset(
  job: LoadedJob,
  target: StartingOffsets,
  opts: { logger: Logger; stateRoot?: string },
): Promise<ResetPreview> {
  const { spec } = job;
  const store = jobStateStore(spec, opts.stateRoot);
  await assertIdentity(store, spec, job.modulePath);
  const latest = await store.latestIteration();
  const abandons = latest !== undefined && !(await store.hasCommit(latest)) ? latest : undefined;
  const committed = await store.committedPositions();
  const explicit = explicitTarget(target);
  const { marks, pos, starting } = await withAdmin(job, opts.logger, async (admin) => {
    const known = new Set([...(committed?.keys() ?? [])].map((k) => k.slice(0, k.lastIndexOf(':'))));
    const marks = await jobWatermarks(admin, spec, known);
    if (explicit !== undefined) checkNames(spec.name, explicit, marks);
    const pos = await startingPositions(admin, target, marks);
    const starting =
      explicit !== undefined && committed === undefined
        ? await startingPositions(admin, spec.startingOffsets, marks)
        : undefined;
    return { marks, pos, starting };
  });
  const rows = marks.map((m): ResetRow => {
    const key = tpKey(m);
    const current = committed?.get(key);
    const named = explicit === undefined || explicit[m.topic]?.[String(m.partition)] !== undefined;
    let next: bigint;
    if (named) {
      const p = pos.get(key) ?? m.latest;
      // Kafka answers -1 for a time after the last record: the next run begins at the log end.
      next = p < 0n ? m.latest : p;
    } else {
      next = current ?? starting?.get(key) ?? m.earliest;
    }
    if (named && next > m.latest)
      throw Errors.usage(
        `reset of job '${spec.name}': ${m.topic}[${m.partition}] offset ${next} is beyond the log end ${m.latest}; ` +
          `use -1 for the log end; nothing changed`,
      );
    if (named && next < m.earliest)
      throw Errors.usage(
        `reset of job '${spec.name}': ${m.topic}[${m.partition}] offset ${next} is below the log start ${m.earliest} ` +
          `(older records were deleted); use -2 for the log start; nothing changed`,
      );
    return {
      topic: m.topic,
      partition: m.partition,
      current: current === undefined ? null : current.toString(),
      next: next.toString(),
      logStart: m.earliest.toString(),
      logEnd: m.latest.toString(),
      kept: !named,
    };
  });
  return { job: spec.name, iteration: (latest ?? -1) + 1, abandons, rows };
}

/** Writes a previewed reset (positions exactly as previewed) under the job lock. */
export async function applyReset(
  job: LoadedJob,
  preview: ResetPreview,
  opts: { stateRoot?: string; logger?: Logger } = {},
): Promise<OffsetsFile> {
  const { spec } = job;
  const store = jobStateStore(spec, opts.stateRoot);
  const lock = lockFor(store, opts.logger);
  await lock.acquire('krange reset');
  try {
    const n = ((await store.latestIteration()) ?? -1) + 1;
    if (n !== preview.iteration)
      throw Errors.usage(
        `reset of job '${spec.name}': the state changed since the preview (iteration ${n - 1} appeared); run the reset again`,
      );
    const hash = schemaHash(spec.schema);
    await bindStateDir(store, job, hash, opts.logger?.child({ job: spec.name }));
    const now = new Date().toISOString();
    const ranges = preview.rows.map((r) =>
      rangeToJson({ topic: r.topic, partition: r.partition, begin: BigInt(r.next), end: BigInt(r.next) }),
    );
    await store.writeOffsets({
      job: spec.name,
      iteration: n,
      kind: 'reset',
      plannedAt: now,
      schemaHash: hash,
      ranges,
      tasks: [],
      skipped: [],
    });
    await store.writeCommit({
      job: spec.name,
      iteration: n,
      committedAt: now,
      ranges,
      durationMs: 0,
      records: 0,
      rows: 0,
      bytes: 0,
      badRecords: 0,
      tasks: [],
      skipped: [],
    });
    return await store.readOffsets(n);
  } finally {
    await lock.release();
  }
}

/** Sets where the next iteration begins (preview, checks, then write). */
export async function resetJob(
  job: LoadedJob,
  target: StartingOffsets,
  opts: { logger: Logger; stateRoot?: string },
): Promise<OffsetsFile> {
  return applyReset(job, await previewReset(job, target, opts), opts);
}

/**
 * The target of `reset --to | --to-datetime` (and of the console's reset action), as starting
 * offsets: every form is checked by the job's own `startingOffsetsSchema`, so a reset accepts
 * exactly what `startingOffsets` accepts (an ISO date-time needs its zone, as in the job file).
 */
export function parseResetTarget(to: string | undefined, toDatetime: string | undefined): StartingOffsets {
  if ((to === undefined) === (toDatetime === undefined)) {
    throw Errors.usage('give exactly one of --to earliest|latest|<json> or --to-datetime <iso>');
  }
  if (toDatetime !== undefined) {
    const parsed = startingOffsetsSchema.safeParse({ timestamp: toDatetime });
    if (!parsed.success)
      throw Errors.usage(
        `--to-datetime '${toDatetime}' is not an ISO date-time with a zone (like 2026-01-31T08:00:00Z)`,
      );
    return parsed.data;
  }
  let raw: unknown = to;
  if (to !== 'earliest' && to !== 'latest') {
    try {
      raw = JSON.parse(to ?? '');
    } catch {
      throw Errors.usage(`--to '${to}' is neither earliest, latest nor JSON like '{"topic":{"0":23}}'`);
    }
  }
  const parsed = startingOffsetsSchema.safeParse(raw);
  if (!parsed.success) throw Errors.usage(`--to JSON must look like '{"topic":{"0":23,"1":-2}}'`);
  return parsed.data;
}
