// Checks the state root (KRANGE_STATE_DIR or ./state) before a command uses it: a path that is a
// file, cannot be created or cannot be written is a configuration error naming the path and the
// variable, instead of a raw ENOTDIR/EACCES (or a lock loop) in the middle of a run.

import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KrangeError } from '../errors.ts';
import { stateRoot } from './state-store.ts';

export function checkStateRoot(opts: { write: boolean }): void {
  const root = resolve(stateRoot());
  const origin =
    process.env['KRANGE_STATE_DIR'] === undefined ? 'the default ./state' : 'set by KRANGE_STATE_DIR';
  const refuse = (what: string, cause?: unknown) =>
    new KrangeError(
      'KRANGE_CONFIG',
      `state directory ${root} (${origin}) ${what}; point KRANGE_STATE_DIR at a writable directory`,
      { details: { path: root }, cause },
    );
  let isDir: boolean | undefined;
  try {
    isDir = statSync(root).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw refuse(`cannot be read: ${(err as Error).message}`, err);
  }
  if (isDir === false) throw refuse('is a file, not a directory');
  if (!opts.write) return;
  try {
    makeDirs(root);
    rmdirSync(mkdtempSync(join(root, '.krange-write-check-')));
  } catch (err) {
    throw refuse(`is not writable: ${(err as Error).message}`, err);
  }
}

/** mkdir -p one level at a time: Node's recursive mkdir never returns on some paths (/proc/x). */
function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    makeDirs(dirname(dir));
    mkdirSync(dir);
  }
}
