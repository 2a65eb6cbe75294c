// How `krange schedule` and `krange run` stop on SIGTERM/SIGINT: the first signal (or an abort of
// the embedder's `stop`) is a stop request, running iterations get a grace period to finish (and
// commit), then are aborted uncommitted; a second signal aborts at once.

export interface StopRequests {
  /** Resolves with the first signal's name (SIGTERM for an abort of `stop`). */
  stopped: Promise<NodeJS.Signals>;
  /** Resolves on a second request. */
  again: Promise<void>;
  dispose: () => void;
}

/** Listens for SIGTERM/SIGINT (unless handleSignals is false) and for an abort of `stop`. */
export function stopRequests(opts: { handleSignals?: boolean; stop?: AbortSignal }): StopRequests {
  let count = 0;
  let first: (signal: NodeJS.Signals) => void = () => undefined;
  let second: () => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((r) => {
    first = r;
  });
  const again = new Promise<void>((r) => {
    second = r;
  });
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) first(sig);
    else second();
  };
  const onStop = (): void => onSignal('SIGTERM');
  const signals = opts.handleSignals !== false;
  if (signals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  if (opts.stop?.aborted) onStop();
  else opts.stop?.addEventListener('abort', onStop, { once: true });
  return {
    stopped,
    again,
    dispose: () => {
      if (signals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      opts.stop?.removeEventListener('abort', onStop);
    },
  };
}

/**
 * Lets `done` settle within `graceMs` (or until `again`), else calls `abort`; resolves once `done`
 * has settled, with whether it had to be aborted.
 */
export async function finishOrAbort(
  done: Promise<unknown>,
  graceMs: number,
  again: Promise<void>,
  abort: () => void,
): Promise<boolean> {
  let settled = false;
  const watched = done.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((r) => {
    timer = setTimeout(r, graceMs);
  });
  await Promise.race([watched, grace, again]);
  clearTimeout(timer);
  const aborted = !settled;
  if (aborted) abort();
  await watched;
  return aborted;
}
