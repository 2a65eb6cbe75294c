// dist/ is bundled by esbuild with code splitting (scripts/build.mjs): every module of src/ must be
// in exactly one output file, so the CLI, the worker threads and a job's `import 'krange'` share one
// instance of it (one KrangeError class, one metrics registry). The source maps say which sources
// each file holds; a second entry bundled without splitting would hold its own copies.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = resolve('dist');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('dist/', () => {
  it('holds each src/ module once, in few files, with lazily imported modules apart', () => {
    const holders = new Map<string, string[]>();
    // The console's browser scripts are copied as they are, not bundled.
    const files = jsFiles(DIST).filter((f) => !f.startsWith(join(DIST, 'console', 'assets')));
    for (const file of files) {
      const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
      for (const s of map.sources) {
        const src = relative(process.cwd(), resolve(join(file, '..'), s));
        holders.set(src, [...(holders.get(src) ?? []), relative(DIST, file)]);
      }
    }
    const twice = [...holders].filter(([, f]) => f.length > 1);
    expect(twice).toEqual([]);
    for (const m of [
      'src/errors.ts',
      'src/metrics/registry.ts',
      'src/cli/main.ts',
      'src/aggregator/aggregator.ts',
    ]) {
      expect(holders.has(m), m).toBe(true);
    }
    // The aggregator is loaded only by `aggregate`: not in the files the CLI's entry imports.
    const main = readFileSync(join(DIST, 'cli', 'main.js'), 'utf8');
    const aggregatorFile = holders.get('src/aggregator/aggregator.ts')?.[0] ?? '';
    expect(main).not.toContain(`from "../${aggregatorFile}"`);
    expect(files.length).toBeLessThan(150);
  });
});
