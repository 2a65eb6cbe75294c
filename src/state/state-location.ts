// Which StateBackend holds the jobs' state. A location is a directory path (relative or absolute)
// or a `file://` URL; the default is KRANGE_STATE_DIR, else ./state, as before.

import { fileURLToPath } from 'node:url';
import { FileStateBackend } from './file-state-backend.ts';
import type { StateBackend } from './state-backend.ts';

/** The local state directory: KRANGE_STATE_DIR or ./state. */
export function stateRoot(): string {
  return process.env['KRANGE_STATE_DIR'] ?? 'state';
}

/** The backend of a location (default: the local state directory). */
export function openStateBackend(location: string = stateRoot()): StateBackend {
  if (location.startsWith('file:')) return new FileStateBackend(fileURLToPath(location));
  return new FileStateBackend(location);
}
