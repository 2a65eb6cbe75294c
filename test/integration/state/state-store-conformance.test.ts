// Every StateBackend (a local directory, HDFS through WebHDFS, PostgreSQL) passes one suite: what
// StateStore and the job lock rely on. Each "process" is a backend instance of its own (its own
// connections), so races go through the real server. Keys live under a unique folder per test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKrangeError } from '../../../src/errors.ts';
import { FileStateBackend } from '../../../src/state/file-state-backend.ts';
import { JobLock } from '../../../src/state/job-lock.ts';
import { PostgresStateBackend } from '../../../src/state/postgres-state-backend.ts';
import type { StateBackend } from '../../../src/state/state-backend.ts';
import { StateStore } from '../../../src/state/state-store.ts';
import { WebHdfsStateBackend } from '../../../src/state/webhdfs-state-backend.ts';
import { hdfsClient } from '../../helpers/duckdb.ts';
import { uniqueName } from '../../helpers/kafka.ts';
import { endpoints } from '../../helpers/sinks.ts';

const opened: StateBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

/** A factory of backend instances over one shared store (each instance stands for a process). */
type Store = () => StateBackend;
const track = (b: StateBackend) => {
  opened.push(b);
  return b;
};

const implementations: [string, () => Store][] = [
  [
    'file',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'krange-state-conf-'));
      return () => track(new FileStateBackend(root));
    },
  ],
  [
    'webhdfs',
    () => {
      const root = `/krange-test/${uniqueName('state')}`;
      return () => track(new WebHdfsStateBackend(hdfsClient(), root, `webhdfs://${root}`));
    },
  ],
  [
    'postgres',
    () => () => track(new PostgresStateBackend(endpoints().pgUrl, 'the test', 'postgres:', 30_000)),
  ],
];

const plan = (job: string, iteration: number, end: string) => ({
  job,
  iteration,
  kind: 'run' as const,
  plannedAt: new Date().toISOString(),
  schemaHash: 'h',
  ranges: [{ topic: 't', partition: 0, begin: '0', end }],
  tasks: [{ id: `t-0-0-${end}`, topic: 't', partition: 0, begin: '0', end }],
  skipped: [],
});
const commit = (job: string, iteration: number, end: string) => ({
  job,
  iteration,
  committedAt: new Date().toISOString(),
  durationMs: 1,
  ranges: [{ topic: 't', partition: 0, begin: '0', end }],
  records: Number(end),
  rows: Number(end),
  bytes: 0,
  badRecords: 0,
  tasks: [
    {
      id: `t-0-0-${end}`,
      topic: 't',
      partition: 0,
      begin: '0',
      end,
      records: Number(end),
      rows: Number(end),
      bytes: 0,
      badRecords: 0,
      files: [],
      durationMs: 1,
      attempts: 1,
      sinks: {},
    },
  ],
  skipped: [],
});

describe.each(implementations)('StateBackend %s', (_name, storeOf) => {
  it('creates exclusively: of 8 racing contenders exactly one wins, and its body is whole', async () => {
    const store = storeOf();
    const ns = uniqueName('race');
    for (let round = 0; round < 5; round++) {
      const key = `${ns}/lock-generations/${round}.json`;
      const bodies = Array.from({ length: 8 }, (_, i) => `{"contender":${i},"pad":"${'x'.repeat(2000)}"}\n`);
      const won = await Promise.all(bodies.map((b) => store().createExclusive(key, b)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await store().read(key)).toBe(bodies[won.indexOf(true)]);
    }
    expect((await store().list(`${ns}/lock-generations`)).sort()).toEqual([
      '0.json',
      '1.json',
      '2.json',
      '3.json',
      '4.json',
    ]);
  });

  it('replaces atomically: a reader racing the writer sees an old or a new body, never a mix', async () => {
    const store = storeOf();
    const writer = store();
    const reader = store();
    const key = `${uniqueName('replace')}/metadata.json`;
    const body = (c: string) => c.repeat(200_000);
    await writer.replace(key, body('a'));
    let writing = true;
    const seen = new Set<string>();
    const reads = (async () => {
      while (writing) {
        const text = await reader.read(key);
        expect(text).toBeDefined();
        expect(text?.length).toBe(200_000);
        const c = text?.[0] ?? '';
        expect(text).toBe(body(c));
        seen.add(c);
      }
    })();
    for (const c of 'bcdefgh') await writer.replace(key, body(c));
    writing = false;
    await reads;
    expect(await reader.read(key)).toBe(body('h'));
    expect(seen.size).toBeGreaterThan(0);
  });

  it('lists a folder, reads missing keys as absent, appends and removes', async () => {
    const store = storeOf()();
    const ns = uniqueName('list');
    expect(await store.list(`${ns}/offsets`)).toEqual([]);
    expect(await store.read(`${ns}/offsets/0.json`)).toBeUndefined();
    await store.replace(`${ns}/offsets/0.json`, '{}');
    await store.replace(`${ns}/offsets/10.json`, '{}');
    await store.replace(`${ns}/offsets/2.json`, '{}');
    await store.replace(`${ns}/offsetsX/1.json`, '{}');
    await store.replace(`${ns}/commits/0.json`, '{}');
    expect((await store.list(`${ns}/offsets`)).sort()).toEqual(['0.json', '10.json', '2.json']);
    expect((await store.list(ns)).sort()).toEqual(['commits', 'offsets', 'offsetsX']);
    await store.append(`${ns}/history.jsonl`, 'one\n');
    await store.append(`${ns}/history.jsonl`, 'two\n');
    expect(await store.read(`${ns}/history.jsonl`)).toBe('one\ntwo\n');
    await store.remove(`${ns}/offsets/10.json`);
    await store.remove(`${ns}/offsets/missing.json`);
    expect((await store.list(`${ns}/offsets`)).sort()).toEqual(['0.json', '2.json']);
  });

  it('round-trips plans and commits through StateStore; of two drivers planning or committing n, one loses', async () => {
    const store = storeOf();
    const job = uniqueName('job');
    const a = new StateStore(job, store());
    const b = new StateStore(job, store());
    await a.ensureMetadata('h');
    await a.writeOffsets(plan(job, 0, '10'));
    await a.writeCommit(commit(job, 0, '10'));
    expect(await b.committedPositions()).toEqual(new Map([['t:0', 10n]]));
    // Two drivers planned iteration 1 at once (each believing it holds the job).
    const planned = await Promise.allSettled([
      a.writeOffsets(plan(job, 1, '20')),
      b.writeOffsets(plan(job, 1, '30')),
    ]);
    const lost = planned.filter((p) => p.status === 'rejected');
    expect(lost).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason;
    expect(isKrangeError(reason, 'KRANGE_ITERATION_TAKEN')).toBe(true);
    expect((reason as Error).message).toContain('the plan of iteration 1');
    expect(await b.pendingIteration()).toBe(1);
    const end = (await b.readOffsets(1)).ranges[0]?.end ?? '';
    const committed = await Promise.allSettled([
      a.writeCommit(commit(job, 1, end)),
      b.writeCommit(commit(job, 1, end)),
    ]);
    expect(committed.filter((p) => p.status === 'rejected')).toHaveLength(1);
    expect(await a.pendingIteration()).toBeUndefined();
    expect(await a.committedPositions()).toEqual(new Map([['t:0', BigInt(end)]]));
    expect(await a.iterations()).toEqual([0, 1]);
  });

  it('lets the lock be taken over only from a released or stale holder, and fences the old one', async () => {
    const store = storeOf();
    const job = uniqueName('lock');
    const before = process.env['KRANGE_HOST_ID'];
    try {
      process.env['KRANGE_HOST_ID'] = 'host-a';
      const a = new JobLock(job, { backend: store(), dir: job }, { staleAfterMs: 60_000 });
      await a.acquire('driver a');
      process.env['KRANGE_HOST_ID'] = 'host-b';
      // Host a's heartbeat is fresh: host b is refused, whatever its clock says about pids.
      const b = new JobLock(job, { backend: store(), dir: job }, { staleAfterMs: 60_000 });
      await expect(b.acquire('driver b')).rejects.toThrowError(/locked by driver a \(pid \d+ on host-a/);
      // A released lock is taken at once, with the next generation.
      process.env['KRANGE_HOST_ID'] = 'host-a';
      await a.release();
      process.env['KRANGE_HOST_ID'] = 'host-b';
      await b.acquire('driver b');
      expect(b.generation).toBe(2);
      // Host b pauses past its lease: host c takes over with generation 3, and b is fenced.
      process.env['KRANGE_HOST_ID'] = 'host-c';
      const c = new JobLock(job, { backend: store(), dir: job }, { staleAfterMs: 1 });
      await new Promise((r) => setTimeout(r, 20));
      await c.acquire('driver c');
      expect(c.generation).toBe(3);
      await expect(b.assertHeld('commit iteration 4')).rejects.toThrowError(
        /generation 2, but generation 3 \(driver c/,
      );
      await c.assertHeld('commit iteration 4');
      expect(await c.newestGeneration()).toBe(3);
      await b.release(); // leaves c's lease alone
      expect((await c.liveHolder())?.generation).toBe(3);
      await c.release();
      expect(await c.liveHolder()).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env['KRANGE_HOST_ID'];
      else process.env['KRANGE_HOST_ID'] = before;
    }
  });

  it('refuses a corrupt file with an error naming where it is', async () => {
    const backend = storeOf()();
    const job = uniqueName('corrupt');
    const s = new StateStore(job, backend);
    await backend.replace(`${job}/offsets/0.json`, '{"version":1,"job":');
    const err = await s.readOffsets(0).catch((e: unknown) => e);
    expect(isKrangeError(err, 'KRANGE_STATE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(s.path('offsets', '0.json'));
    expect(s.path('offsets', '0.json')).toContain(`${job}/offsets/0.json`);
  });
});
