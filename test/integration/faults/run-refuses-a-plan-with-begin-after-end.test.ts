// A hand-edited plan whose range ends before it begins is refused by `run` (it used to run and
// commit an impossible range), naming the file and the range.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { hasStateFile, statePath, writePendingPlan } from '../../helpers/state-files.ts';

describe('run and an impossible plan', () => {
  it('refuses a range with begin > end and commits nothing', async () => {
    const f = await batchFixture(1);
    await produceEvents(f, 50);
    const plan = await writePendingPlan(f, EVENTS_JOB);
    const ranges = plan['ranges'] as { begin: string; end: string }[];
    const tasks = plan['tasks'] as { begin: string; end: string }[];
    const swapped = { ...plan, ranges: ranges.map((r) => ({ ...r, begin: '900', end: '100' })) };
    writeFileSync(statePath(f, 'offsets', '0.json'), JSON.stringify(swapped));
    const r = await cli(['run', EVENTS_JOB], f.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(statePath(f, 'offsets', '0.json'));
    expect(r.stderr).toMatch(/begin 900 is after end 100/);
    expect(hasStateFile(f, 'commits', '0.json')).toBe(false);

    // The same in a task only.
    const badTask = { ...plan, tasks: tasks.map((t) => ({ ...t, begin: '60' })) };
    writeFileSync(statePath(f, 'offsets', '0.json'), JSON.stringify(badTask));
    const t = await cli(['run', EVENTS_JOB], f.env);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/begin 60 is after end 50/);
    expect(hasStateFile(f, 'commits', '0.json')).toBe(false);
  });
});
