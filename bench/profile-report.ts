// Prints the stage split and the hottest functions of a directory of .cpuprofile files, e.g. from
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/krange.mjs run clickstream
//   node --import tsx bench/profile-report.ts /tmp/prof [top]

import { STAGE_LABEL, STAGES, summarizeProfiles } from './lib/cpuprofile.ts';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: profile-report.ts <dir of .cpuprofile files> [top]\n');
  process.exit(2);
}
const s = summarizeProfiles(dir, Number(process.argv[3] ?? 25));
for (const t of s.threads) {
  process.stdout.write(
    `${t.role.padEnd(13)} ${t.file}: ${t.totalMs.toFixed(0)} ms, busy ${t.busyMs.toFixed(0)} ms\n`,
  );
}
process.stdout.write(`\nworker threads, busy ${s.workerBusyMs.toFixed(0)} ms:\n`);
for (const st of STAGES) {
  const ms = s.workerStages[st];
  process.stdout.write(
    `  ${STAGE_LABEL[st].padEnd(46)} ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / s.workerBusyMs).toFixed(1).padStart(5)}%\n`,
  );
}
process.stdout.write('\nhottest functions (self time, worker threads):\n');
for (const f of s.topFunctions) {
  process.stdout.write(
    `  ${f.ms.toFixed(0).padStart(7)} ms ${f.pct.toFixed(1).padStart(5)}%  ${f.stage.padEnd(15)} ${f.name}\n`,
  );
}
