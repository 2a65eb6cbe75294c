// esbuild bundles of krange with a job, for the two places that would otherwise load ~60 TypeScript
// modules through tsx at every start: the worker threads (worker/worker-bundle.ts) and the CLI
// itself (cli/cli-bundle.ts). Packages stay outside the bundle, imported by the absolute path
// esbuild resolved them to; code splitting keeps unused parts (other sinks and their drivers, the
// aggregator) out of the start; `import.meta.url` keeps meaning each source file. A bundle is
// written whole into node_modules/.cache/<cache>/<content hash>/ and reused while its content is
// the same; bundles unused for a week are removed. `cachedBundle` records each bundle in a manifest
// with the content hash of every source that went in (read by bin/start-bundle.mjs too), so an
// unchanged job and krange reuse it without running esbuild at all.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { contentHash, freshBundle, manifestPath } from '../../bin/start-bundle.mjs';

export const SRC = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(SRC);
export const CACHE_ROOT = join(ROOT, 'node_modules', '.cache');
/** Bundles are removed once unused for this long. */
const KEEP_MS = 7 * 24 * 3600 * 1000;

const BUILTINS = new Set(builtinModules);

/**
 * Packages are not bundled: each bare import becomes an import of the file esbuild resolved it to
 * (Node's `import` conditions), from wherever the importing file is, so a job outside this
 * repository keeps its own node_modules.
 */
const externalPackages: Plugin = {
  name: 'krange-external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      if (args.path.startsWith('node:') || BUILTINS.has(args.path.split('/')[0] ?? '')) {
        return { path: args.path, external: true };
      }
      const r = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'inner',
      });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: r.path, external: true };
    });
  },
};

/**
 * `import.meta.url` (and `dirname`/`filename`) keep meaning the source file, not the bundle: a job
 * that reads a file beside itself, or krange's own `createRequire(import.meta.url)`, works the same
 * from a bundle as through tsx.
 */
const sourceImportMeta: Plugin = {
  name: 'krange-source-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?[jt]s|[jt]sx)$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const contents = text
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)));
      const ext = extname(args.path).replace(/^\.[cm]?/, '');
      const loader = ext === 'tsx' || ext === 'jsx' ? ext : ext === 'ts' ? 'ts' : 'js';
      return { contents, loader, resolveDir: dirname(args.path) };
    });
  },
};

export interface Bundle {
  /** The entry module (`<name>.mjs`). */
  path: string;
  /** Every source file that went into it (absolute): a change to any of them needs a new bundle. */
  inputs: string[];
}

/** Bundles `entry` (module source text, resolved from `resolveDir`) into node_modules/.cache/<cache>/. */
export async function buildBundle(o: {
  cache: string;
  name: string;
  entry: string;
  resolveDir: string;
}): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const cacheDir = join(CACHE_ROOT, o.cache);
  const out = await esbuild.build({
    stdin: { contents: o.entry, resolveDir: o.resolveDir, sourcefile: `${o.name}-entry.ts`, loader: 'ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    absWorkingDir: ROOT,
    outdir: cacheDir,
    entryNames: o.name,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    // Used only when Node runs with --enable-source-maps.
    sourcemap: 'linked',
    logLevel: 'silent',
    plugins: [externalPackages, sourceImportMeta],
  });
  if (out.outputFiles.length === 0) throw new Error('esbuild wrote no output');
  const hash = createHash('sha256');
  for (const f of out.outputFiles) hash.update(f.path).update(f.contents);
  const dir = join(cacheDir, hash.digest('hex').slice(0, 16));
  const path = join(dir, `${o.name}.mjs`);
  if (!exists(path)) {
    // Written beside, then renamed into place whole: a concurrent run sees all files or none.
    const tmp = `${dir}.${process.pid}.tmp`;
    mkdirSync(tmp, { recursive: true });
    for (const f of out.outputFiles) writeFileSync(join(tmp, relative(cacheDir, f.path)), f.contents);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run renamed the same bundle first
    }
    prune(cacheDir, dir);
  } else {
    const now = new Date();
    utimesSync(dir, now, now);
  }
  // The entry is stdin (named by `sourcefile`): every other input is a file.
  const inputs = Object.keys(out.metafile.inputs)
    .filter((p) => !p.startsWith('<stdin>') && !p.endsWith(`${o.name}-entry.ts`))
    .map((p) => (isAbsolute(p) ? p : resolve(ROOT, p)));
  return { path, inputs };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes entries of `cacheDir` not used for a week, except `current`. */
function prune(cacheDir: string, current: string): void {
  const now = Date.now();
  for (const f of readdirSync(cacheDir)) {
    const p = join(cacheDir, f);
    if (p === current) continue;
    try {
      if (now - statSync(p).mtimeMs > KEEP_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // Another run may have removed it.
    }
  }
}

/**
 * The bundle of `cache` for `key` (a job module path, or undefined): the recorded one while its
 * sources are unchanged, else built now and recorded. Returns its entry path.
 */
export async function cachedBundle(o: {
  cache: string;
  name: string;
  key: string | undefined;
  entry: string;
}): Promise<string> {
  const manifest = manifestPath(o.cache, o.key);
  const fresh = freshBundle(manifest);
  if (fresh !== undefined) return fresh;
  const bundle = await buildBundle({ cache: o.cache, name: o.name, entry: o.entry, resolveDir: SRC });
  const inputs = bundle.inputs.map((p) => [p, contentHash(p)] as const);
  mkdirSync(dirname(manifest), { recursive: true });
  const tmp = `${manifest}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 2, entry: bundle.path, inputs }));
  renameSync(tmp, manifest);
  return bundle.path;
}
