// `make lint`: no source file of src/ is longer than 400 lines (STYLE: a file is read in one
// sitting). A file may be longer only with a reason in its own words, on a line of its own:
//   // longer than 400 lines: <why it is one unit>
// (meant for the protocol decoders, whose formats do not split at a useful seam).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT = 400;
const REASON = /^\/\/ longer than 400 lines: \S/m;
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name)) files.push(p);
  }
};
walk('src');
const bad = [];
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > LIMIT && !REASON.test(text)) bad.push(`${f}: ${lines} lines`);
}
if (bad.length > 0) {
  console.error(
    `source files over ${LIMIT} lines (split them, or say why not with a '// longer than ${LIMIT} lines: <reason>' line):`,
  );
  for (const b of bad) console.error(`  ${b}`);
  process.exit(1);
}
