// Three iterations with new data produced between them: DuckDB over all files holds every Kafka
// record exactly once, the state files record contiguous ranges, and a run with nothing new is a no-op.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFixture, EVENTS_JOB, expectExactlyOnce, produceEvents } from '../../helpers/batch.ts';
import { cli } from '../../helpers/cli.ts';
import { watermarks } from '../../helpers/kafka.ts';

describe('iterations', () => {
  it('read every record exactly once across three iterations', async () => {
    const f = await batchFixture(3);
    for (const n of [2000, 1500, 2500]) {
      await produceEvents(f, n);
      const r = await cli(['run', EVENTS_JOB], f.env);
      expect(r.stderr).not.toMatch(/"level":50/);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`records\\s+${n.toLocaleString('en-US')}`));
    }
    await expectExactlyOnce(f);

    // The offsets files chain: each iteration begins where the previous one ended.
    const dir = join(f.stateDir, f.job);
    const plans = [0, 1, 2].map((n) => JSON.parse(readFileSync(join(dir, 'offsets', `${n}.json`), 'utf8')));
    for (let i = 1; i < plans.length; i++) {
      for (const r of plans[i].ranges) {
        const prev = plans[i - 1].ranges.find((p: { partition: number }) => p.partition === r.partition);
        expect(r.begin).toBe(prev.end);
      }
    }
    const marks = await watermarks(f.topic);
    for (const m of marks) {
      expect(plans[2].ranges.find((r: { partition: number }) => r.partition === m.partition).end).toBe(
        m.high.toString(),
      );
    }
    for (const n of [0, 1, 2]) {
      const commit = JSON.parse(readFileSync(join(dir, 'commits', `${n}.json`), 'utf8'));
      expect(commit.version).toBe(1);
      expect(commit.records).toBe([2000, 1500, 2500][n]);
    }

    // Nothing new: 0 records, no new iteration.
    const again = await cli(['run', EVENTS_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing new; 0 records/);
    const state = JSON.parse((await cli(['state', EVENTS_JOB, '--json'], f.env)).stdout);
    expect(state.iterations).toHaveLength(3);
    expect(state.iterations.every((s: { status: string }) => s.status === 'committed')).toBe(true);
  });
});
