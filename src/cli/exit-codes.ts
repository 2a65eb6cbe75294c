// The exit codes of `krange` (also in its --help): 0 done, 1 failed, 2 usage or config error,
// 3 the job is locked by another runner (or another driver wrote the same plan or commit first). A run stopped by a signal exits 130/143 (commands/run.ts).

import type { KrangeError } from '../errors.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const;

export function exitCodeFor(err: KrangeError): number {
  switch (err.code) {
    case 'KRANGE_LOCKED':
    case 'KRANGE_ITERATION_TAKEN':
      return EXIT.locked;
    case 'KRANGE_USAGE':
    case 'KRANGE_CONFIG':
    case 'KRANGE_JOB_NOT_FOUND':
    case 'KRANGE_STATE_IDENTITY':
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}
