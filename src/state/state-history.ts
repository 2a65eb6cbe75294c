// Retention of a job's state: the newest `retainIterations` iterations keep their full plan and
// commit files; older committed ones are folded into `history.jsonl`, one compact, readable line per
// iteration (its ranges, records, files), so a job scheduled every minute does not pile up a million
// files a year and every command that lists the history stays as fast as on day one.
//
// Folding is crash-safe without a lock of its own (the caller holds the job lock): lines are appended
// and fsynced first, then the folded iterations' files are removed, plan before commit (a commit
// without its plan is never read as a position: committedPositions needs both). A crash in between
// leaves files that the next fold appends again; readers keep the last line per iteration, and
// ignore a torn last line.

import { z } from 'zod';
import { Errors } from '../errors.ts';
import type { CommitFile, OffsetsFile, StateStore } from './state-store.ts';

const HISTORY_VERSION = 1;

const historyLine = z.object({
  version: z.literal(HISTORY_VERSION),
  iteration: z.number().int().min(0),
  kind: z.enum(['run', 'reset']),
  plannedAt: z.string(),
  committedAt: z.string(),
  /** The ranges that moved (begin < end), or every position for a reset. */
  ranges: z.array(
    z.object({ topic: z.string(), partition: z.number().int(), begin: z.string(), end: z.string() }),
  ),
  records: z.number(),
  rows: z.number(),
  bytes: z.number(),
  badRecords: z.number(),
  durationMs: z.number(),
  files: z.array(z.string()),
  skipped: z.number().int(),
});
export type HistoryLine = z.infer<typeof historyLine>;

/** One iteration's plan and commit as a history line. */
export function historyLineOf(plan: OffsetsFile, commit: CommitFile): HistoryLine {
  return {
    version: HISTORY_VERSION,
    iteration: plan.iteration,
    kind: plan.kind,
    plannedAt: plan.plannedAt,
    committedAt: commit.committedAt,
    ranges: plan.ranges
      .filter((r) => plan.kind === 'reset' || r.begin !== r.end)
      .map(({ topic, partition, begin, end }) => ({ topic, partition, begin, end })),
    records: commit.records,
    rows: commit.rows,
    bytes: commit.bytes,
    badRecords: commit.badRecords,
    durationMs: commit.durationMs,
    files: commit.tasks.flatMap((t) => t.files),
    skipped: plan.skipped.length,
  };
}

/** The folded iterations, oldest first (the last line per iteration wins; a torn last line is ignored). */
export async function readHistory(store: StateStore): Promise<HistoryLine[]> {
  const text = await store.backend.read(store.key('history.jsonl'));
  if (text === undefined) return [];
  const path = store.path('history.jsonl');
  const lines = text.split('\n');
  const byIteration = new Map<number, HistoryLine>();
  const lastLine = lines.findLastIndex((l) => l.trim() !== '');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    const isLast = i === lastLine;
    let parsed: ReturnType<typeof historyLine.safeParse>;
    try {
      parsed = historyLine.safeParse(JSON.parse(text));
    } catch (err) {
      if (isLast) return; // a crash while appending: the files it folded are still there
      throw Errors.stateCorrupt(path, `line ${i + 1}: ${(err as Error).message}`);
    }
    if (!parsed.success) {
      if (isLast) return;
      const first = parsed.error.issues[0];
      throw Errors.stateCorrupt(
        path,
        `line ${i + 1}: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`,
      );
    }
    byIteration.set(parsed.data.iteration, parsed.data);
  });
  return [...byIteration.values()].sort((a, b) => a.iteration - b.iteration);
}

export interface FoldOutcome {
  folded: number;
  first?: number;
  last?: number;
}

/**
 * Folds committed iterations older than the newest `retain` into history.jsonl. To keep one append
 * from being paid on every commit, it waits until a tenth more than `retain` (at least one) piled up.
 * Never folds the newest committed iteration nor a plan without its commit.
 */
export async function foldHistory(store: StateStore, retain: number): Promise<FoldOutcome> {
  const iterations = await store.iterations();
  if (iterations.length <= retain + Math.max(1, Math.floor(retain / 10))) return { folded: 0 };
  const keepFrom = iterations[iterations.length - retain] ?? 0;
  const committed = new Set(await store.committedIterations());
  const old = iterations.filter((n) => n < keepFrom && committed.has(n));
  if (old.length === 0) return { folded: 0 };
  const lines: string[] = [];
  for (const n of old)
    lines.push(`${JSON.stringify(historyLineOf(await store.readOffsets(n), await store.readCommit(n)))}\n`);
  await store.backend.append(store.key('history.jsonl'), lines.join(''));
  for (const n of old) {
    await store.backend.remove(store.key('offsets', `${n}.json`));
    await store.backend.remove(store.key('commits', `${n}.json`));
    // Its attempts (who ran it, how each ended) are not kept in the compact history.
    await store.backend.remove(store.key('attempts', `${n}.json`));
  }
  return { folded: old.length, first: old[0], last: old.at(-1) };
}
