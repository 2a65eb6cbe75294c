// The agent's checkpoint: for each input path, the file it was reading (device and inode, so a
// rotation by rename is recognised) and the byte offset after the last line Kafka acknowledged.
// Written atomically (temp file, fsync, rename) after every acknowledged batch, so a crash re-sends
// at most the batch that was in flight. Versioned, readable JSON.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { Errors } from '../errors.ts';

export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface FilePosition extends FileIdentity {
  /** Byte offset after the last acknowledged line. */
  offset: number;
  /** Lines acknowledged from this path since the checkpoint was created (for progress only). */
  lines: number;
}

export interface Checkpoint {
  version: 1;
  files: Record<string, FilePosition>;
}

const checkpointSchema = z.strictObject({
  version: z.literal(1),
  files: z.record(
    z.string(),
    z.strictObject({
      dev: z.number().int(),
      ino: z.number().int(),
      offset: z.number().int().min(0),
      lines: z.number().int().min(0),
    }),
  ),
});

export const emptyCheckpoint = (): Checkpoint => ({ version: 1, files: {} });

export const sameFile = (a: FileIdentity, b: FileIdentity): boolean => a.dev === b.dev && a.ino === b.ino;

/** Where reading a path resumes, given what the checkpoint says and what is on disk now. */
export type StartPlan =
  /** Continue the current file at the offset. */
  | { kind: 'resume'; offset: number }
  /** The checkpointed file was rotated away (renamed to `rotatedPath`): finish it, then the path from 0. */
  | { kind: 'finish-rotated'; rotatedPath: string; offset: number }
  /** Start the current file from its beginning (new path, truncated file, or the old file is gone). */
  | { kind: 'from-start'; reason: string };

/**
 * Pure: decides where to resume. `current` is the path's file now (undefined if missing),
 * `siblings` the other files in its directory with their identities.
 */
export function planStart(
  saved: FilePosition | undefined,
  current: (FileIdentity & { size: number }) | undefined,
  siblings: readonly { path: string; id: FileIdentity & { size: number } }[],
): StartPlan {
  if (saved === undefined) return { kind: 'from-start', reason: 'not in the checkpoint' };
  if (current !== undefined && sameFile(saved, current)) {
    if (current.size < saved.offset)
      return { kind: 'from-start', reason: 'the file is shorter than the checkpoint (truncated)' };
    return { kind: 'resume', offset: saved.offset };
  }
  const rotated = siblings.find((s) => sameFile(s.id, saved));
  if (rotated !== undefined && rotated.id.size >= saved.offset)
    return { kind: 'finish-rotated', rotatedPath: rotated.path, offset: saved.offset };
  return { kind: 'from-start', reason: 'the checkpointed file is gone (rotated away and removed)' };
}

/** Pure: the checkpoint after a batch whose last line from `path` ended at `offset` of file `id`. */
export function advance(
  cp: Checkpoint,
  path: string,
  id: FileIdentity,
  offset: number,
  lines: number,
): Checkpoint {
  const before = cp.files[path];
  return {
    version: 1,
    files: { ...cp.files, [path]: { dev: id.dev, ino: id.ino, offset, lines: (before?.lines ?? 0) + lines } },
  };
}

export function readCheckpoint(path: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyCheckpoint();
    throw Errors.stateCorrupt(path, (err as Error).message);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw Errors.stateCorrupt(path, `not JSON: ${(err as Error).message}`);
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success)
    throw Errors.stateCorrupt(
      path,
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(cp, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
