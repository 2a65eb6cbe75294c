// Where krange's time goes: one `krange run` of W1 under `node --cpu-prof` (every thread writes a
// profile), split into stages by bench/lib/cpuprofile.ts. The profiles are kept beside the results
// (bench/results/profile-<run>/) for Chrome DevTools or speedscope.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ProfileSummary, summarizeProfiles } from '../lib/cpuprofile.ts';
import { freshStateDir, ROOT, runKrange } from '../lib/engines.ts';
import { webhdfs } from '../lib/services.ts';

export interface ProfileResult {
  dir: string;
  records: number;
  wallMs: number;
  summary: ProfileSummary;
}

export async function benchProfile(o: {
  topic: string;
  records: number;
  runId: string;
}): Promise<ProfileResult> {
  const dir = join(ROOT, 'bench/results', `profile-${o.runId}`);
  mkdirSync(dir, { recursive: true });
  const stateDir = freshStateDir();
  const path = `/bench/${o.runId}/profile`;
  try {
    const { run } = await runKrange({
      job: 'clickstream',
      stateDir,
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      env: { KRANGE_CLICKSTREAM_TOPIC: o.topic, KRANGE_CLICKSTREAM_PATH: `webhdfs://${path}` },
    });
    const summary = summarizeProfiles(dir);
    process.stderr.write(`[bench] profile: ${summary.threads.length} thread profiles in ${dir}\n`);
    return { dir: dir.slice(ROOT.length + 1), records: o.records, wallMs: run.wallMs, summary };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await webhdfs()
      .delete(path, { recursive: true })
      .catch(() => false);
  }
}
