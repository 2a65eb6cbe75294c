// Builds dist/: src/ compiled by tsc (tsconfig.build.json) plus the console's static assets.
// `--if-stale` builds only when the sources differ from those of the last build (a content hash
// of src/, the tsconfigs, package.json and this script, kept in dist/.build-hash), so `make test`
// and the integration tests' global setup never run an old dist/. The new tree is compiled beside
// dist/ and swapped in whole.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
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
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = performance.now();
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (r.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  process.stderr.write('krange build: tsc failed\n');
  process.exit(1);
}
cpSync(join(ROOT, 'src', 'console', 'assets'), join(out, 'console', 'assets'), { recursive: true });
writeFileSync(join(out, HASH_FILE), hash);
const old = `${DIST}.${process.pid}.old`;
if (existsSync(DIST)) renameSync(DIST, old);
renameSync(out, DIST);
rmSync(old, { recursive: true, force: true });
process.stderr.write(`krange build: dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
