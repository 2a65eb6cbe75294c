import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { StateStore } from '../../../src/state/state-store.ts';

function store(): StateStore {
  return new StateStore('job', mkdtempSync(join(tmpdir(), 'krange-unit-')));
}

const plan = (iteration: number, end: string) => ({
  job: 'job',
  iteration,
  kind: 'run' as const,
  plannedAt: new Date().toISOString(),
  schemaHash: 'h',
  ranges: [{ topic: 't', partition: 0, begin: '0', end }],
  tasks: [],
  skipped: [],
});
const commit = (iteration: number) => ({
  job: 'job',
  iteration,
  committedAt: new Date().toISOString(),
  durationMs: 1,
  records: 0,
  rows: 0,
  bytes: 0,
  badRecords: 0,
  tasks: [],
  skipped: [],
});

describe('StateStore', () => {
  it('reports the uncommitted newest plan as pending and positions from the newest commit', async () => {
    const s = store();
    await s.writeOffsets(plan(0, '10'));
    await s.writeCommit(commit(0));
    await s.writeOffsets(plan(1, '20'));
    expect(await s.pendingIteration()).toBe(1);
    expect(await s.committedPositions()).toEqual(new Map([['t:0', 10n]]));
    await s.writeCommit(commit(1));
    expect(await s.pendingIteration()).toBeUndefined();
    expect(await s.committedPositions()).toEqual(new Map([['t:0', 20n]]));
  });

  it('writes readable, versioned JSON', async () => {
    const s = store();
    await s.writeOffsets(plan(0, '10'));
    const text = readFileSync(s.path('offsets', '0.json'), 'utf8');
    expect(JSON.parse(text).version).toBe(1);
    expect(text).toContain('\n  "ranges"');
  });

  it('refuses a corrupt file instead of resetting', async () => {
    const s = store();
    await s.writeOffsets(plan(0, '10'));
    writeFileSync(s.path('offsets', '0.json'), '{"version":1,"job":');
    await expect(s.readOffsets(0)).rejects.toThrowError(/unreadable/);
    const err = await s.readOffsets(0).catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_STATE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(s.path('offsets', '0.json'));
  });

  it('refuses an unknown version', async () => {
    const s = store();
    await s.writeOffsets(plan(0, '10'));
    const p = s.path('offsets', '0.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"version": 1', '"version": 7'));
    await expect(s.readOffsets(0)).rejects.toThrowError(/version 7/);
  });

  it('creates a plan and a commit exclusively: a second writer of the same iteration loses', async () => {
    const s = store();
    await s.writeOffsets(plan(0, '10'));
    const other = new StateStore('job', s.backend);
    const err = await other.writeOffsets(plan(0, '99')).catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_ITERATION_TAKEN')).toBe(true);
    expect((err as Error).message).toContain(s.path('offsets', '0.json'));
    expect((await s.readOffsets(0)).ranges[0]?.end).toBe('10');
    await s.writeCommit(commit(0));
    const again = await other.writeCommit(commit(0)).catch((e: unknown) => e);
    expect(isKrangeError(again, 'KRANGE_ITERATION_TAKEN')).toBe(true);
  });
});
