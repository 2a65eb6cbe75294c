// Two aggregator processes in one consumer group share the partitions; one is SIGKILLed mid-stream:
// the survivor is assigned its partitions, resumes them from the offsets stored in PostgreSQL, and
// the table still equals the ground truth.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  aggregatorEvents,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  produceAgg,
  type RunnerHandle,
  rng,
  startAggregator,
  stopAggregator,
  T0,
  waitCaughtUp,
  waitForEvent,
} from '../../helpers/aggregator.ts';

let fixture: AggFixture | undefined;
const running: RunnerHandle[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL');
  if (fixture) await dropFixture(fixture);
  fixture = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Partitions named in a member's last aggregate.assigned event. */
function lastAssignment(h: RunnerHandle): string[] {
  const assigned = aggregatorEvents(h).filter((l) => l.event === 'aggregate.assigned');
  return (assigned[assigned.length - 1]?.['partitions'] as string[] | undefined) ?? [];
}

describe('aggregator', () => {
  it('hands a killed member’s partitions to the survivor, which resumes them from PostgreSQL', async () => {
    const f = await aggFixture(4, { KRANGE_AGG_DELAY_MS: '10', KRANGE_AGG_FLUSH_MS: '100' });
    fixture = f;
    const random = rng(11);
    await produceAgg(f, genEvents(random, 8000, T0));

    const a = startAggregator(f);
    running.push(a);
    await waitForEvent(a, 'aggregate.resumed');
    const b = startAggregator(f);
    running.push(b);
    // Both members hold partitions: the group rebalanced to share them.
    await waitForEvent(b, 'aggregate.resumed');
    const deadline = Date.now() + 20_000;
    while (lastAssignment(a).length + lastAssignment(b).length !== 4 || lastAssignment(a).length === 0) {
      if (Date.now() > deadline)
        throw new Error(`no shared assignment:\n${a.output().slice(-2000)}\n${b.output().slice(-2000)}`);
      await sleep(100);
    }
    const ofA = lastAssignment(a);

    // Keep producing while A dies.
    let producing = true;
    let t = T0 + 8000 * 37;
    const producer = (async () => {
      while (producing) {
        await produceAgg(f, genEvents(random, 400, t));
        t += 400 * 37;
        await sleep(150);
      }
    })();
    await sleep(1000);
    a.child.kill('SIGKILL');
    await a.exited;

    // B is assigned everything (after A's session times out) and resumes A's partitions.
    const takeover = Date.now() + 30_000;
    while (lastAssignment(b).length !== 4) {
      if (Date.now() > takeover) throw new Error(`no takeover:\n${b.output().slice(-3000)}`);
      await sleep(100);
    }
    await sleep(1000);
    producing = false;
    await producer;
    await waitCaughtUp(f);
    // B resumed each of A's partitions from the offset A stored (aggregate.resumed events).
    const resumedByB = aggregatorEvents(b).filter((l) => l.event === 'aggregate.resumed');
    for (const p of ofA)
      expect(
        resumedByB.some((l) => l['topic'] === f.topic && l['partition'] === Number(p.split(':')[1])),
      ).toBe(true);
    // A started alone with all four partitions and gave B's share up when B joined (aggregate.revoked).
    expect(aggregatorEvents(a).some((l) => l.event === 'aggregate.started')).toBe(true);
    const revokedFromA = aggregatorEvents(a).filter((l) => l.event === 'aggregate.revoked');
    expect(revokedFromA.length).toBeGreaterThan(0);
    for (const l of revokedFromA)
      expect(ofA).not.toContain(`${String(l['topic'])}:${String(l['partition'])}`);
    await stopAggregator(b);
    expect(aggregatorEvents(b).filter((l) => l.event === 'aggregate.stopped')).toHaveLength(1);
    await expectTableMatchesTruth(f);
  });
});
