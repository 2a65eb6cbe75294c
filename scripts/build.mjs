// Builds dist/: tsc (tsconfig.build.json) type-checks src/ and writes the declarations the package
// exports; esbuild then bundles the entry points (the package's `dist/index.js`, the CLI's
// `dist/cli/main.js`, the worker threads' `dist/worker/worker-entry.js`, and the few modules tests and
// benches import directly) with code splitting: modules shared by several entries go to one chunk in
// dist/chunks/ (one instance of KrangeError, of the metrics registry, ... for the CLI, the workers
// and a job's `import 'krange'`), and each dynamic import stays a chunk of its own, loaded when
// used. Packages stay external. Node then loads a few files at start-up instead of ~90 modules
// (issue 10, BENCHMARKS.md). Plus the console's static assets.
// `--if-stale` builds only when the sources differ from those of the last build (a content hash
// of src/, the tsconfigs, package.json and this script, kept in dist/.build-hash), so `make test`
// and the integration tests' global setup never run an old dist/. The new tree is compiled beside
// dist/ and swapped in whole.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(ROOT, 'dist');
const HASH_FILE = '.build-hash';

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function sourceHash() {
  const h = createHash('sha256');
  const inputs = [
    ...files(join(ROOT, 'src')),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'].map((f) =>
      join(ROOT, f),
    ),
  ];
  for (const f of inputs) h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

const hash = sourceHash();
if (process.argv.includes('--if-stale')) {
  try {
    if (readFileSync(join(DIST, HASH_FILE), 'utf8') === hash) process.exit(0);
  } catch {
    // No dist/ yet, or built by an older script: build.
  }
}

const out = `${DIST}.${process.pid}.tmp`;
rmSync(out, { recursive: true, force: true });
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const started = performance.now();
const r = spawnSync(
  process.execPath,
  [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out, '--emitDeclarationOnly'],
  { cwd: ROOT, stdio: 'inherit' },
);
if (r.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  process.stderr.write('krange build: tsc failed\n');
  process.exit(1);
}

// Bundled code runs from dist/chunks/, not from the compiled module's own place: each
// `import.meta.url` of src/ becomes the URL its module had in a per-module dist/ (dist/<path>.js),
// relative to the dist/ root that every output file computes for itself in its first line.
const ENTRIES = [
  'index.ts',
  'cli/main.ts',
  'worker/worker-entry.ts',
  // Imported directly by tests and benches (test/integration/faults, bench/experiments/worker-ready.mjs).
  'state/job-lock.ts',
  'worker/worker-pool.ts',
  'job/endpoints.ts',
  'job/job-cache.ts',
  'logger.ts',
];
const ROOT_MARK = '__KRANGE_DIST_ROOT__';
const SRC = join(ROOT, 'src');
const moduleUrl = {
  name: 'krange-module-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(SRC + sep)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const own = relative(SRC, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
      const contents = text.replace(
        /\bimport\.meta\.url\b/g,
        `new URL(${JSON.stringify(own)}, __krangeDistRoot).href`,
      );
      return { contents, loader: 'ts' };
    });
  },
};
const esbuild = await import(require.resolve('esbuild'));
const built = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES.map((e) => join(SRC, e)),
  outbase: SRC,
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: false,
  banner: { js: `const __krangeDistRoot = new URL(${JSON.stringify(ROOT_MARK)}, import.meta.url);` },
  plugins: [moduleUrl],
  metafile: true,
  logLevel: 'warning',
});
// The banner's placeholder becomes each file's way up to dist/ ('./' or '../'), on the first line
// only, so the source maps keep every other line.
for (const file of Object.keys(built.metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const path = join(ROOT, file);
  const depth = relative(out, path).split(sep).length - 1;
  const up = depth === 0 ? './' : '../'.repeat(depth);
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replace(JSON.stringify(ROOT_MARK), JSON.stringify(up)));
}
cpSync(join(ROOT, 'src', 'console', 'assets'), join(out, 'console', 'assets'), { recursive: true });
writeFileSync(join(out, HASH_FILE), hash);
const old = `${DIST}.${process.pid}.old`;
if (existsSync(DIST)) renameSync(DIST, old);
renameSync(out, DIST);
rmSync(old, { recursive: true, force: true });
process.stderr.write(`krange build: dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
