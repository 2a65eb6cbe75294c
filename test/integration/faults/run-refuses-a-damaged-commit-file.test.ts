// A commit file that does not really commit its plan (empty, truncated, garbage, an unknown
// version, another iteration's, other ranges) must never count as committed: `run` refuses,
// names the file and what to do, writes nothing, and the plan re-runs once the file is moved away.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { hasStateFile, readStateJson, statePath, writePendingPlan } from '../../helpers/state-files.ts';

describe('run and a damaged commit file', () => {
  it('refuses every commit that does not match its plan, then resumes the plan', async () => {
    const f = await batchFixture(2);
    await produceEvents(f, 400);
    expect((await cli(['run', EVENTS_JOB], f.env)).code).toBe(0);
    await produceEvents(f, 300);
    await writePendingPlan(f, EVENTS_JOB);
    const valid0 = readStateJson(f, 'commits', '0.json');
    const text0 = JSON.stringify(valid0, null, 2);
    const commit1 = statePath(f, 'commits', '1.json');

    const damaged: [string, string][] = [
      ['empty', ''],
      ['truncated', text0.slice(0, Math.floor(text0.length / 2))],
      ['garbage', 'not json at all\n'],
      ['unknown version', JSON.stringify({ ...valid0, version: 7, iteration: 1 })],
      ['another iteration', text0],
      ['other ranges', JSON.stringify({ ...valid0, iteration: 1 })],
      ['another job', JSON.stringify({ ...valid0, job: 'someone-else', iteration: 1 })],
    ];
    for (const [what, content] of damaged) {
      writeFileSync(commit1, content);
      const r = await cli(['run', EVENTS_JOB], f.env);
      expect(r.code, what).not.toBe(0);
      expect(r.stdout, what).not.toMatch(/nothing new/);
      expect(r.stderr, what).toContain(commit1);
      expect(r.stderr, what).toMatch(/move this file out of the state directory/);
      expect(hasStateFile(f, 'offsets', '2.json'), what).toBe(false);
    }

    // `plan` refuses the same way instead of planning past the damaged iteration.
    const plan = await cli(['plan', EVENTS_JOB], f.env);
    expect(plan.code).not.toBe(0);
    expect(plan.stderr).toContain(commit1);

    // Doing what the message says: the plan re-runs and every record is there exactly once.
    renameSync(commit1, `${f.stateDir}/moved-commit-1.json`);
    const resumed = await cli(['run', EVENTS_JOB], f.env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/iteration 1 committed \(resumed uncommitted plan\)/);
    await expectExactlyOnce(f);
    const written = readStateJson(f, 'commits', '1.json');
    expect(written['ranges']).toEqual(readStateJson(f, 'offsets', '1.json')['ranges']);
    expect(written['jobId']).toBe(readStateJson(f, 'metadata.json')['jobId']);
    rmSync(`${f.stateDir}/moved-commit-1.json`);
  });
});
