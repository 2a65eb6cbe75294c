// The one door for every options object of a job: strict (an unknown key is refused, never dropped)
// and, for a misspelled key, the allowed key it most likely meant ("did you mean `partitionBy`?").

import { z } from 'zod';

/** Levenshtein distance; keys are short, so the plain two-row table is cheap enough. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The allowed key closest to `key`, when close enough to be a typo (one edit for a short key, else a third of its length, at least 2). */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = key.length <= 4 ? 1 : Math.max(2, Math.floor(key.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** `unknown option 'partitonBy' (did you mean 'partitionBy'?); allowed: ...` */
export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[]): string {
  return keys
    .map((key) => {
      const near = closestKey(key, allowed);
      return near === undefined
        ? `unknown option '${key}' (allowed: ${allowed.join(', ')})`
        : `unknown option '${key}': did you mean '${near}'?`;
    })
    .join('; ');
}

/** A strict options object: unknown keys are refused with a suggestion. */
export function options<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, allowed) : undefined,
  });
}

/** An option that holds a function (transform, decoder, Mongo id). */
export const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { message: `${what} must be a function` });
