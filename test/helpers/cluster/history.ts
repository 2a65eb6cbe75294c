// The committed history of a job, read from its commit and plan files (not through krange): the
// iterations are 0..n-1 with none missing, each commit's ranges are its plan's, every partition's
// ranges follow each other without gap or overlap from the first offset to the log end, and a
// commit's tasks tile its ranges. Read through a StateView: a state directory on this disk or a
// store reached over the network.
import { expect } from 'vitest';
import { watermarks } from '../kafka.ts';
import type { StateView } from './state-view.ts';

interface Range {
  topic: string;
  partition: number;
  begin: string;
  end: string;
}

interface CommitFile {
  iteration: number;
  ranges: Range[];
  tasks: Range[];
  records: number;
}

const key = (r: Range): string => `${r.topic}/${r.partition}`;

/** Every record of `topic` committed exactly once, in iterations 0..n-1; returns n. */
export async function expectGaplessHistory(h: StateView, topic: string, records: number): Promise<number> {
  const numbers = (await h.list('commits'))
    .map((f) => /^(\d+)\.json$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  expect(numbers, 'committed iterations').toEqual(numbers.map((_, i) => i));
  const next = new Map<string, bigint>();
  let total = 0;
  for (const n of numbers) {
    const c = (await h.readJson(`commits/${n}.json`)) as CommitFile;
    const p = (await h.readJson(`offsets/${n}.json`)) as CommitFile;
    expect(c.iteration).toBe(n);
    expect(c.ranges, `commit ${n} holds its plan's ranges`).toEqual(p.ranges);
    for (const r of c.ranges) {
      const begin = BigInt(r.begin);
      expect(begin, `iteration ${n} ${key(r)} begins where the last one ended`).toBe(next.get(key(r)) ?? 0n);
      expect(BigInt(r.end) >= begin).toBe(true);
      next.set(key(r), BigInt(r.end));
      // The tasks of a partition tile [begin, end).
      const tasks = c.tasks
        .filter((t) => key(t) === key(r))
        .sort((a, b) => (BigInt(a.begin) < BigInt(b.begin) ? -1 : 1));
      let at = begin;
      for (const t of tasks) {
        expect(BigInt(t.begin), `iteration ${n} task ${t.begin}-${t.end} of ${key(r)}`).toBe(at);
        at = BigInt(t.end);
      }
      if (tasks.length > 0) expect(at).toBe(BigInt(r.end));
    }
    total += c.records;
  }
  for (const w of await watermarks(topic)) {
    expect(
      next.get(`${topic}/${w.partition}`) ?? 0n,
      `${topic}/${w.partition} committed to its log end`,
    ).toBe(w.high);
  }
  expect(total, 'records over the committed iterations').toBe(records);
  return numbers.length;
}
