// Starts the CLI from its cached esbuild bundle (built by src/bundle/cli-bundle.ts) when none of the
// sources that went into it changed since (by content hash): plain JavaScript, so that start needs no tsx at all.
// The bundle holds the CLI and the job module the command line names; other job modules are
// loaded through tsx on demand (src/job/job-loader.ts).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CACHE_ROOT = join(ROOT, 'node_modules', '.cache');
const JOB_COMMANDS = new Set(['run', 'plan', 'rerun', 'reset', 'state', 'aggregate']);

/** The job module a command line names, if any, found as resolveJobPath (job-loader.ts) finds it. */
export function namedJob(argv) {
  const [cmd, ...rest] = argv.slice(2);
  if (!JOB_COMMANDS.has(cmd)) return undefined;
  for (const a of rest) {
    if (a.startsWith('-')) continue;
    const candidates =
      a.includes('/') || /\.(ts|mts|js|mjs)$/.test(a)
        ? [isAbsolute(a) ? a : resolve(a)]
        : ['.ts', '.mts', '.js', '.mjs'].map((e) =>
            join(resolve(process.env.KRANGE_JOBS_DIR ?? 'jobs'), a + e),
          );
    const found = candidates.find((c) => existsSync(c));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where the bundle of `cache` (krange-cli, krange-workers) for `job` (or none) is recorded. */
export function manifestPath(cache, job) {
  const key = createHash('sha256')
    .update(job ?? '-')
    .digest('hex')
    .slice(0, 16);
  return join(CACHE_ROOT, cache, `${key}.json`);
}

/** A source file's content hash, as the manifest records it. */
export function contentHash(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The entry of the bundle a manifest records, if it still exists and every source is as it was
 * when the bundle was built (~3 ms for the CLI's ~50 files); else undefined.
 */
export function freshBundle(manifestFile) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.version !== 2 || !existsSync(manifest.entry) || !sourcesUnchanged(manifest.inputs))
    return undefined;
  return manifest.entry;
}

function sourcesUnchanged(inputs) {
  for (const [path, hash] of inputs) {
    try {
      if (contentHash(path) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Runs the CLI from a fresh bundle and returns true, or returns false (nothing was run). */
export async function startFromBundle(argv) {
  if (process.env.KRANGE_CLI_BUNDLE === '0') return false;
  const job = namedJob(argv);
  const entry = freshBundle(manifestPath('krange-cli', job));
  if (entry === undefined) return false;
  let mod;
  try {
    // Evaluates the job module too; if that throws, the tsx path reports it as usual.
    mod = await import(pathToFileURL(entry).href);
  } catch {
    return false;
  }
  globalThis.__krangeBundled = true;
  if (job !== undefined && mod.job !== undefined) mod.preloadJobModule(job, mod.job);
  if (process.env.KRANGE_DEBUG_STARTUP === '1') process.stderr.write(`krange: started from ${entry}\n`);
  await mod.main(argv);
  return true;
}
