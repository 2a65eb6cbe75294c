// Retention: old committed iterations fold into history.jsonl, the newest stay in full, a crash
// between the append and the removals neither loses nor doubles an iteration, a torn last line is
// ignored and a damaged line elsewhere is refused with the file and line.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foldHistory, historyLineOf, readHistory } from '../../../src/state/state-history.ts';
import { StateStore } from '../../../src/state/state-store.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A store with `n` committed iterations (8 partitions, 10 records each per iteration) and maybe a pending plan. */
async function storeWith(n: number, pending = false): Promise<StateStore> {
  const root = mkdtempSync(join(tmpdir(), 'krange-history-'));
  roots.push(root);
  const store = new StateStore('hist', root);
  await store.ensureMetadata('h');
  for (let i = 0; i < n + (pending ? 1 : 0); i++) {
    const ranges = Array.from({ length: 8 }, (_, p) => ({
      topic: 't',
      partition: p,
      begin: String(i * 10),
      end: String(i * 10 + (p === 7 ? 0 : 10)),
    }));
    const tasks = ranges.map((r) => ({ ...r, id: `${i}-${r.partition}` }));
    await store.writeOffsets({
      job: 'hist',
      iteration: i,
      kind: 'run',
      plannedAt: 'p',
      schemaHash: 'h',
      ranges,
      tasks,
      skipped: [],
    });
    if (pending && i === n) break;
    await store.writeCommit({
      job: 'hist',
      iteration: i,
      committedAt: `c${i}`,
      durationMs: 5,
      ranges,
      records: 70,
      rows: 70,
      bytes: 700,
      badRecords: 0,
      tasks: tasks.map((t) => ({
        ...t,
        records: 10,
        rows: 10,
        bytes: 100,
        badRecords: 0,
        files: [`/out/${t.id}.parquet`],
        durationMs: 1,
        attempts: 1,
        sinks: {},
      })),
      skipped: [],
    });
  }
  return store;
}

const count = (store: StateStore, sub: string) => readdirSync(store.path(sub)).length;

describe('state history', () => {
  it('keeps the newest iterations in full and folds the older ones, one line each', async () => {
    const store = await storeWith(25, true);
    const out = await foldHistory(store, 10);
    expect(out).toEqual({ folded: 16, first: 0, last: 15 });
    expect(count(store, 'offsets')).toBe(10);
    expect(count(store, 'commits')).toBe(9); // the pending plan (25) has no commit
    expect(await store.pendingIteration()).toBe(25);
    expect((await store.committedPositions())?.get('t:0')).toBe(250n);
    const history = await readHistory(store);
    expect(history.map((h) => h.iteration)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(history.reduce((s, h) => s + h.records, 0)).toBe(16 * 70);
    expect(history[3]?.ranges).toHaveLength(7); // the empty range of partition 7 is left out
    expect(history[3]?.files).toHaveLength(8);
  });

  it('waits for a tenth more than it retains before folding again', async () => {
    const store = await storeWith(11);
    expect((await foldHistory(store, 10)).folded).toBe(0);
    const more = await storeWith(12);
    expect((await foldHistory(more, 10)).folded).toBe(2);
  });

  it('neither loses nor doubles an iteration when a fold is repeated after a crash', async () => {
    const store = await storeWith(30);
    // The crash: the lines of 0..9 were appended, no file removed yet.
    const lines: string[] = [];
    for (let n = 0; n < 10; n++)
      lines.push(JSON.stringify(historyLineOf(await store.readOffsets(n), await store.readCommit(n))));
    writeFileSync(store.path('history.jsonl'), `${lines.join('\n')}\n`);
    await foldHistory(store, 10);
    const history = await readHistory(store);
    expect(history).toHaveLength(20);
    expect(new Set(history.map((h) => h.iteration)).size).toBe(20);
    expect(readFileSync(store.path('history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30);
  });

  it('ignores a torn last line and refuses a damaged line before it', async () => {
    const store = await storeWith(30);
    await foldHistory(store, 10);
    appendFileSync(store.path('history.jsonl'), '{"version":1,"iterat');
    expect(await readHistory(store)).toHaveLength(20);
    const text = readFileSync(store.path('history.jsonl'), 'utf8').split('\n');
    text[2] = '{"version":1}';
    writeFileSync(store.path('history.jsonl'), text.join('\n'));
    await expect(readHistory(store)).rejects.toThrow(/history\.jsonl.*line 3/);
  });
});
