// State that grows without bound: a job with 10,000 iterations behind it keeps the newest
// `retainIterations` (default 100) in full after its next commit and folds the older ones into
// history.jsonl, which `krange state` shows; no record is lost or doubled, and a folded iteration
// cannot be rerun (it says why).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { query } from '../../helpers/duckdb.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const ITERATIONS = 10_000;

describe('state retention', () => {
  it('folds 9,901 of 10,001 iterations into history.jsonl and keeps every record once', async () => {
    const topic = uniqueName('retain');
    await createTopic(topic, 4);
    const send = (from: number) =>
      produce(
        topic,
        Array.from({ length: 40 }, (_, i) => ({ value: JSON.stringify({ id: from + i }), partition: i % 4 })),
      );
    await send(0);
    const stateDir = mkdtempSync(join(tmpdir(), 'krange-retain-state-'));
    const out = mkdtempSync(join(tmpdir(), 'krange-retain-out-'));
    const name = uniqueName('retainjob').replace(/-/g, '_');
    const jobFile = writeJobFile(
      name,
      `{ name: '${name}', topics: ['${topic}'], schema: { id: t.int64() },
         sinks: [parquet({ path: 'file://${out}' })] }`,
    );
    const env = { KRANGE_STATE_DIR: stateDir };
    const first = await cli(['run', jobFile], env);
    expect(first.code, first.stderr).toBe(0);

    // 9,999 empty iterations after it, written as krange writes them (the same job id).
    const dir = join(stateDir, name);
    const plan0 = JSON.parse(readFileSync(join(dir, 'offsets', '0.json'), 'utf8'));
    const commit0 = JSON.parse(readFileSync(join(dir, 'commits', '0.json'), 'utf8'));
    const ranges = plan0.ranges.map((r: { end: string }) => ({ ...r, begin: r.end }));
    for (let n = 1; n < ITERATIONS; n++) {
      const plan = { ...plan0, iteration: n, ranges, tasks: [] };
      const commit = { ...commit0, iteration: n, ranges, tasks: [], records: 0, rows: 0, bytes: 0 };
      writeFileSync(join(dir, 'offsets', `${n}.json`), JSON.stringify(plan));
      writeFileSync(join(dir, 'commits', `${n}.json`), JSON.stringify(commit));
    }

    await send(40);
    const second = await cli(['run', jobFile], env);
    expect(second.code, second.stderr).toBe(0);
    const folded = second.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; folded?: number; first?: number; last?: number })
      .find((e) => e.event === 'state.folded');
    expect(folded).toMatchObject({ folded: 9_901, first: 0, last: 9_900 });

    expect(readdirSync(join(dir, 'offsets'))).toHaveLength(100);
    expect(readdirSync(join(dir, 'commits'))).toHaveLength(100);
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(9_901);

    const state = await cli(['state', jobFile, '--json'], env);
    expect(state.code, state.stderr).toBe(0);
    const s = JSON.parse(state.stdout) as {
      history: { iteration: number; records: number }[];
      iterations: { iteration: number; records: number | null; status: string }[];
    };
    expect(s.history).toHaveLength(9_901);
    expect(s.iterations.map((i) => i.iteration)).toEqual(Array.from({ length: 100 }, (_, i) => 9_901 + i));
    const recorded = [...s.history, ...s.iterations].reduce((sum, i) => sum + (i.records ?? 0), 0);
    expect(recorded).toBe(80);
    expect(s.history[0]?.records).toBe(40);

    const table = await cli(['state', jobFile], env);
    expect(table.stdout).toMatch(/0-9900\s+folded \(9,901\)/);

    const rows = await query(
      `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(rows[0]).toEqual({ n: 80, d: 80 });

    const rerun = await cli(['rerun', jobFile, '--iteration', '5'], env);
    expect(rerun.code).toBe(2);
    expect(rerun.stderr).toContain('is folded into history.jsonl');
  }, 240_000);
});
