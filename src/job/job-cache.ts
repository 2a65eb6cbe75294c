// A content-hashed cache of TypeScript job modules compiled to JavaScript, so that compiled krange
// runs a job without registering tsx (its esbuild service and loader hooks) in the driver and in
// every worker thread. The driver builds the cache entry (job-loader.ts); the workers import the
// file it names (their init message carries the path).
//
// An entry is one esbuild bundle of the job module and its local imports, written to
// <nearest node_modules above the job>/.cache/krange-jobs/ (the user's cache directory when there
// is none or it is not writable) as `<job>-<path hash>-<content hash>.mjs`. The content hash covers
// every source file that went in (esbuild's metafile inputs), the esbuild version and the krange
// version; a manifest per job (`<job>-<path hash>.json`) lists those inputs, so a warm start hashes
// a few files and runs no esbuild at all. The last KEEP entries of a job are kept.
//
// Packages stay outside the bundle, each bare import written as the absolute path of the file
// Node would load (esbuild's resolution from the importing file's folder, Node's conditions and
// `main` field), so the cached file may sit anywhere and a job keeps its own node_modules and the
// same krange instance as the driver. `import.meta.url`/`dirname`/`filename` keep meaning each
// source file, so a job reading a file beside itself works as under tsx.

import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/** Entries kept per job (the newest by use): an edit back and forth needs no rebuild. */
const KEEP = 3;
const BUILTINS = new Set(builtinModules);

interface Manifest {
  version: 1;
  /** Every source file of the job (absolute paths) that went into the bundle. */
  inputs: string[];
}

/** The cache folder for a job: inside the nearest writable node_modules above it, else the user's. */
export function jobCacheDir(modulePath: string): string {
  for (let dir = dirname(modulePath); ; dir = dirname(dir)) {
    const nm = join(dir, 'node_modules');
    if (existsSync(nm)) {
      try {
        accessSync(nm, constants.W_OK);
        return join(nm, '.cache', 'krange-jobs');
      } catch {
        break; // not writable: the user's cache, not a node_modules further up
      }
    }
    if (dirname(dir) === dir) break;
  }
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'krange', 'jobs');
}

function sha(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

let versions: string | undefined;

/** krange's and esbuild's versions: a new release of either compiles jobs afresh. */
function toolVersions(): string {
  if (versions !== undefined) return versions;
  const read = (url: URL | string): string =>
    (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  const krange = read(new URL('../../package.json', import.meta.url));
  const esbuildMain = createRequire(import.meta.url).resolve('esbuild');
  versions = `krange ${krange} esbuild ${read(join(dirname(dirname(esbuildMain)), 'package.json'))}`;
  return versions;
}

/** The content hash of a job: its source files' contents and the tools' versions. */
function contentKey(inputs: string[]): string {
  const parts: (string | Buffer)[] = [toolVersions()];
  for (const p of [...inputs].sort()) parts.push(p, readFileSync(p));
  return sha(...parts).slice(0, 16);
}

function jobPrefix(modulePath: string): string {
  const name = basename(modulePath, extname(modulePath)).replace(/[^\w.-]/g, '_');
  return `${name}-${sha(modulePath).slice(0, 8)}`;
}

/**
 * The cached compiled module of `modulePath` while its sources are unchanged, without running
 * esbuild; undefined when there is none (never built, or a source changed or went away).
 */
export function warmJobModule(modulePath: string, cacheDir = jobCacheDir(modulePath)): string | undefined {
  const prefix = jobPrefix(modulePath);
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, `${prefix}.json`), 'utf8')) as Manifest;
    if (manifest.version !== 1) return undefined;
    const path = join(cacheDir, `${prefix}-${contentKey(manifest.inputs)}.mjs`);
    if (!existsSync(path)) return undefined;
    const now = new Date();
    utimesSync(path, now, now); // in use: pruned last
    return path;
  } catch {
    return undefined;
  }
}

/**
 * The compiled module of `modulePath` from the cache, built now when the cache is cold or stale.
 * Throws when esbuild cannot compile it (the caller falls back to tsx).
 */
export async function compiledJobModule(modulePath: string): Promise<{ path: string; built: boolean }> {
  const cacheDir = jobCacheDir(modulePath);
  const warm = warmJobModule(modulePath, cacheDir);
  if (warm !== undefined) return { path: warm, built: false };
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [modulePath],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    absWorkingDir: process.cwd(),
    outfile: join(cacheDir, 'job.mjs'),
    // Node's resolution for the packages left outside: no `module` condition or field.
    conditions: [],
    mainFields: ['main'],
    // Without --enable-source-maps Node ignores it; with it, stack traces name the job's lines.
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [packagesByAbsolutePath, sourceImportMeta],
  });
  const code = out.outputFiles.find((f) => f.path.endsWith('.mjs'));
  if (code === undefined) throw new Error('esbuild wrote no output');
  const inputs = Object.keys(out.metafile.inputs).map((p) => resolve(p));
  const prefix = jobPrefix(modulePath);
  const path = join(cacheDir, `${prefix}-${contentKey(inputs)}.mjs`);
  mkdirSync(cacheDir, { recursive: true });
  // Written beside, then renamed into place: a concurrent run sees the whole file or none.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, code.contents);
  renameSync(tmp, path);
  const manifest: Manifest = { version: 1, inputs };
  writeFileSync(`${tmp}.json`, JSON.stringify(manifest));
  renameSync(`${tmp}.json`, join(cacheDir, `${prefix}.json`));
  prune(cacheDir, prefix);
  return { path, built: true };
}

/** Removes the job's entries beyond the KEEP most recently used. */
function prune(cacheDir: string, prefix: string): void {
  const entries = readdirSync(cacheDir)
    .filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.mjs'))
    .map((f) => {
      const p = join(cacheDir, f);
      try {
        return { p, t: statSync(p).mtimeMs };
      } catch {
        return { p, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  for (const { p } of entries.slice(KEEP)) rmSync(p, { force: true });
}

/**
 * Packages are not bundled: each bare import becomes an import of the absolute path esbuild
 * resolved it to from the importing file's folder, so the bundle works wherever it is written.
 */
const packagesByAbsolutePath: Plugin = {
  name: 'krange-packages-by-absolute-path',
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
      return { path: pathToFileURL(r.path).href, external: true };
    });
  },
};

/** `import.meta.url` (and `dirname`/`filename`) keep meaning the source file, not the bundle. */
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
