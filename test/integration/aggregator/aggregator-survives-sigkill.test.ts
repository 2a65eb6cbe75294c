// SIGKILL of the aggregator at random points while events keep arriving, several times, each time
// restarted: the table still equals the ground truth (a restart replays exactly what PostgreSQL
// had not committed, from the offsets stored in the same transaction as the windows).

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggFixture,
  aggFixture,
  dropFixture,
  expectTableMatchesTruth,
  genEvents,
  produceAgg,
  type RunnerHandle,
  rng,
  startAggregator,
  stopAggregator,
  storedLag,
  T0,
  waitCaughtUp,
  waitForEvent,
} from '../../helpers/aggregator.ts';

let fixture: AggFixture | undefined;
let running: RunnerHandle | undefined;
afterEach(async () => {
  running?.child.kill('SIGKILL');
  if (fixture) await dropFixture(fixture);
  fixture = undefined;
  running = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('aggregator', () => {
  it('survives SIGKILL at random points: the table still equals the ground truth', async () => {
    // Slow processing (a pause every 200 records) and frequent flushes, so kills land mid-stream and mid-flush.
    const f = await aggFixture(3, { KRANGE_AGG_DELAY_MS: '15', KRANGE_AGG_FLUSH_MS: '100' });
    fixture = f;
    const random = rng(7);
    const seed = Number(process.env['KRANGE_TEST_SEED'] ?? Date.now() % 100_000);
    const killAt = rng(seed);
    await produceAgg(f, genEvents(random, 12_000, T0));

    let producing = true;
    let t = T0 + 12_000 * 37;
    const producer = (async () => {
      while (producing) {
        const batch = genEvents(random, 500, t);
        t += 500 * 37;
        await produceAgg(f, batch);
        await sleep(150);
      }
    })();

    let lagAtKills = 0n;
    for (let kill = 0; kill < 3; kill++) {
      running = startAggregator(f);
      await waitForEvent(running, 'aggregate.resumed');
      // Let it consume (and flush) for a random while, then kill it without warning.
      await sleep(500 + Math.floor(killAt() * 2000));
      running.child.kill('SIGKILL');
      await running.exited;
      lagAtKills += await storedLag(f);
    }
    producing = false;
    await producer;
    // Kills must have hit mid-stream: something was still unconsumed each time.
    expect(lagAtKills, `seed ${seed}`).toBeGreaterThan(0n);

    running = startAggregator(f);
    await waitCaughtUp(f);
    await stopAggregator(running);
    await expectTableMatchesTruth(f);
  });
});
