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
  it('reports the uncommitted newest plan as pending and positions from the newest commit', () => {
    const s = store();
    s.writeOffsets(plan(0, '10'));
    s.writeCommit(commit(0));
    s.writeOffsets(plan(1, '20'));
    expect(s.pendingIteration()).toBe(1);
    expect(s.committedPositions()).toEqual(new Map([['t:0', 10n]]));
    s.writeCommit(commit(1));
    expect(s.pendingIteration()).toBeUndefined();
    expect(s.committedPositions()).toEqual(new Map([['t:0', 20n]]));
  });

  it('writes readable, versioned JSON', () => {
    const s = store();
    s.writeOffsets(plan(0, '10'));
    const text = readFileSync(s.path('offsets', '0.json'), 'utf8');
    expect(JSON.parse(text).version).toBe(1);
    expect(text).toContain('\n  "ranges"');
  });

  it('refuses a corrupt file instead of resetting', () => {
    const s = store();
    s.writeOffsets(plan(0, '10'));
    writeFileSync(s.path('offsets', '0.json'), '{"version":1,"job":');
    expect(() => s.readOffsets(0)).toThrowError(/unreadable/);
    try {
      s.readOffsets(0);
    } catch (err) {
      expect(isKrangeError(err, 'KRANGE_STATE_CORRUPT')).toBe(true);
    }
  });

  it('refuses an unknown version', () => {
    const s = store();
    s.writeOffsets(plan(0, '10'));
    const p = s.path('offsets', '0.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"version": 1', '"version": 7'));
    expect(() => s.readOffsets(0)).toThrowError(/version 7/);
  });
});
