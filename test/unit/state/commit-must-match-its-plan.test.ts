import { describe, expect, it } from 'vitest';
import { commitMismatch } from '../../../src/state/commit-check.ts';
import type { CommitFile } from '../../../src/state/state-store.ts';

const range = { topic: 't', partition: 0, begin: '0', end: '10' };
const plan = { job: 'j', iteration: 3, ranges: [range], tasks: [{ ...range, id: 'a' }] };
const task = {
  ...range,
  id: 'a',
  records: 10,
  rows: 10,
  bytes: 1,
  badRecords: 0,
  files: [],
  durationMs: 1,
  attempts: 1,
  sinks: {},
};
const commit: CommitFile = {
  version: 1,
  job: 'j',
  jobId: 'id-1',
  iteration: 3,
  ranges: [range],
  committedAt: 'x',
  durationMs: 1,
  records: 10,
  rows: 10,
  bytes: 1,
  badRecords: 0,
  tasks: [task],
  skipped: [],
};

describe('commitMismatch', () => {
  it('accepts the commit of its plan, with or without the fields older releases lacked', () => {
    expect(commitMismatch(plan, commit, 'id-1')).toBeUndefined();
    const { jobId: _j, ranges: _r, ...old } = commit;
    expect(commitMismatch(plan, old, 'id-1')).toBeUndefined();
  });
  it('names what differs', () => {
    expect(commitMismatch(plan, { ...commit, job: 'k' }, 'id-1')).toMatch(/job 'k'/);
    expect(commitMismatch(plan, { ...commit, iteration: 2 }, 'id-1')).toMatch(/iteration 2/);
    expect(commitMismatch(plan, commit, 'id-2')).toMatch(/job id id-1/);
    expect(commitMismatch(plan, { ...commit, ranges: [{ ...range, end: '9' }] }, 'id-1')).toMatch(
      /ranges differ.*t:0:0-10/,
    );
    expect(commitMismatch(plan, { ...commit, tasks: [] }, 'id-1')).toMatch(/tasks differ/);
    expect(commitMismatch(plan, { ...commit, tasks: [task, task] }, 'id-1')).toMatch(/2 entries/);
  });
});
