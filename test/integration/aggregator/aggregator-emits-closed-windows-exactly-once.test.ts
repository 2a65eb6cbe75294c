// aggregate.emit: every closed window (end at or before the job's watermark) reaches the emit
// topic exactly once for read_committed readers, with the values of its PostgreSQL row, although
// the aggregator is killed between a flush's PostgreSQL commit and the emit's Kafka commit (the
// windows are produced in an open transaction), just after a Kafka commit (before PostgreSQL
// learns it), and at a random point mid-stream; and with two members, when the emitting one is
// killed the other takes the lease. The reader is kcat, independent of krange.
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
  sql,
  startAggregator,
  stopAggregator,
  T0,
  waitCaughtUp,
  waitForEvent,
} from '../../helpers/aggregator.ts';
import { createTopic, uniqueName, withAdmin } from '../../helpers/kafka.ts';
import { kcatReadCommitted } from '../../helpers/pg-kafka.ts';

let fixture: AggFixture | undefined;
let outTopic = '';
let running: RunnerHandle | undefined;
const others: RunnerHandle[] = [];
afterEach(async () => {
  running?.child.kill('SIGKILL');
  for (const o of others.splice(0)) o.child.kill('SIGKILL');
  if (fixture) {
    const f = fixture;
    await sql('DELETE FROM krange_emit_outbox WHERE job = $1', [f.job]).catch(() => undefined);
    await sql('DELETE FROM krange_emit_state WHERE job = $1', [f.job]).catch(() => undefined);
    await withAdmin((a) => a.deleteGroups([`krange-agg-emit.${f.job}.${outTopic}`])).catch(() => undefined);
    await dropFixture(f, [outTopic]);
  }
  fixture = undefined;
  running = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exitsKilled(h: RunnerHandle, what: string): Promise<void> {
  const r = await Promise.race([h.exited, sleep(90_000).then(() => undefined)]);
  expect(r, `${what}: the crash point was not reached\n${h.output().slice(-3000)}`).toBeDefined();
  expect(r?.signal, h.output().slice(-3000)).toBe('SIGKILL');
}

async function waitAllEmitted(f: AggFixture): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [st] = await sql<{ next_seq: string; emitted_seq: string }>(
      'SELECT next_seq::text, emitted_seq::text FROM krange_emit_state WHERE job = $1',
      [f.job],
    );
    if (st !== undefined && st.next_seq !== '0' && st.next_seq === st.emitted_seq) break;
    if (Date.now() > deadline) throw new Error(`not all windows emitted: ${JSON.stringify(st)}`);
    await sleep(200);
  }
}

/** kcat (read_committed) finds every closed window of the table once, with the values of its row. */
async function expectClosedWindowsEmittedOnce(f: AggFixture): Promise<void> {
  // Closed = end at or before the job's watermark recorded with the last closing flush.
  const closed = await sql<{ k: string; v: Record<string, unknown> }>(
    `SELECT json_build_object('page', page, 'country', country)::text || '@' ||
              (extract(epoch FROM window_start) * 1000)::bigint AS k,
              json_build_object('events', events, 'amount_sum', amount_sum, 'amount_min', amount_min,
                'amount_max', amount_max, 'users', users, 'ws', (extract(epoch FROM window_start) * 1000)::bigint,
                'we', (extract(epoch FROM window_end) * 1000)::bigint, 'first_ts', (extract(epoch FROM first_ts) * 1000)::bigint) AS v
       FROM "${f.table}" t, krange_emit_state s
       WHERE s.job = $1 AND t.window_end <= 'epoch'::timestamptz + s.closed_through * interval '1 millisecond'`,
    [f.job],
  );
  expect(closed.length).toBeGreaterThan(20);
  const [open] = await sql<{ n: string }>(
    `SELECT count(*)::text AS n FROM "${f.table}" t, krange_emit_state s
       WHERE s.job = $1 AND t.window_end > 'epoch'::timestamptz + s.closed_through * interval '1 millisecond'`,
    [f.job],
  );
  expect(Number(open?.n)).toBeGreaterThan(0); // windows still open are not emitted

  const records = kcatReadCommitted(outTopic);
  const seen = new Map<string, Record<string, unknown>>();
  const dup: string[] = [];
  const firstSeq = new Map<string, string>();
  for (const r of records) {
    const v = JSON.parse(r.value) as Record<string, unknown>;
    const ws = Date.parse(String(v['window_start']));
    const k = `${r.key}@${ws}`;
    if (seen.has(k)) dup.push(`${k} ${r.headers} first ${String(firstSeq.get(k))}`);
    if (!firstSeq.has(k)) firstSeq.set(k, r.headers);
    seen.set(k, {
      events: v['events'],
      amount_sum: v['amount_sum'],
      amount_min: v['amount_min'],
      amount_max: v['amount_max'],
      users: v['users'],
      ws,
      we: Date.parse(String(v['window_end'])),
      first_ts: Date.parse(String(v['first_ts'])),
    });
  }
  expect(dup, 'windows emitted more than once').toEqual([]);
  expect(records.length).toBe(closed.length);
  expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(closed.map((c) => [c.k, c.v])));
}

/**
 * A fixture whose job emits closed windows to a new topic: `first` events, then rounds of `each`
 * every 250 ms until `stop()`; each round advances the watermark and closes windows, so emits
 * happen often.
 */
async function emittingFixture(
  partitions: number,
  seed: number,
  first: number,
  each: number,
): Promise<{ f: AggFixture; stop: () => Promise<void> }> {
  outTopic = uniqueName('agg-emit');
  const f = await aggFixture(partitions, {
    KRANGE_AGG_FLUSH_MS: '100',
    KRANGE_AGG_LATENESS: '30000',
    KRANGE_AGG_EMIT_TOPIC: outTopic,
  });
  fixture = f;
  await createTopic(outTopic, 2);
  const random = rng(seed);
  let t = T0;
  const round = async (n: number) => {
    await produceAgg(f, genEvents(random, n, t));
    t += n * 37;
  };
  await round(first);
  let producing = true;
  const producer = (async () => {
    while (producing) {
      await round(each);
      await sleep(250);
    }
  })();
  return {
    f,
    stop: async () => {
      producing = false;
      await producer;
    },
  };
}

describe('aggregator emit', () => {
  it('emits every closed window once, equal to its row, through crashes around the Kafka commit', async () => {
    const { f, stop } = await emittingFixture(3, 11, 1500, 300);
    const random = rng(12);
    try {
      // 1. Killed with its 2nd emit transaction open: windows recorded in PostgreSQL, sent, not committed.
      running = startAggregator(f, { KRANGE_DEBUG_EMIT_CRASH: 'before-kafka-commit:2' });
      await exitsKilled(running, 'before the Kafka commit');
      // 2. Killed right after its 2nd Kafka commit, before PostgreSQL confirms it.
      running = startAggregator(f, { KRANGE_DEBUG_EMIT_CRASH: 'after-kafka-commit:2' });
      await exitsKilled(running, 'after the Kafka commit');
      // 3. Killed at a random point mid-stream.
      running = startAggregator(f);
      await sleep(1500 + Math.floor(random() * 2000));
      running.child.kill('SIGKILL');
      await running.exited;
    } finally {
      await stop();
    }
    // 4. Restarted: catches up and emits what is closed.
    running = startAggregator(f);
    await waitCaughtUp(f, 90_000);
    await waitAllEmitted(f);
    await stopAggregator(running);
    await expectTableMatchesTruth(f);

    await expectClosedWindowsEmittedOnce(f);
  });

  it('moves the emitter to the surviving member when the emitting one is killed', async () => {
    const { f, stop } = await emittingFixture(4, 23, 1000, 200);
    const random = rng(24);
    const leased = (h: RunnerHandle) => aggregatorEvents(h).some((l) => l.event === 'aggregate.emit-lease');
    let survivor: RunnerHandle;
    try {
      // Debug level: each emit transaction is logged as aggregate.emitted.
      const a = startAggregator(f, { KRANGE_LOG_LEVEL: 'debug' });
      const b = startAggregator(f, { KRANGE_LOG_LEVEL: 'debug' });
      running = a;
      others.push(b);
      const deadline = Date.now() + 60_000;
      while (!leased(a) && !leased(b)) {
        if (Date.now() > deadline)
          throw new Error(`no member took the emit lease:\n${a.output().slice(-2000)}`);
        await sleep(100);
      }
      const [leader, other] = leased(a) ? [a, b] : [b, a];
      expect(aggregatorEvents(leader).find((l) => l.event === 'aggregate.emit-lease')).toMatchObject({
        topic: outTopic,
      });
      await sleep(1000 + Math.floor(random() * 1500));
      leader.child.kill('SIGKILL');
      await leader.exited;
      survivor = other;
      running = other;
      await waitForEvent(other, 'aggregate.emit-lease', 60_000);
      await sleep(1500);
    } finally {
      await stop();
    }
    await waitCaughtUp(f, 90_000);
    await waitAllEmitted(f);
    // The survivor emitted the windows closed after it took over, each transaction logged.
    const emitted = aggregatorEvents(survivor).filter((l) => l.event === 'aggregate.emitted');
    expect(emitted.length).toBeGreaterThan(0);
    expect(emitted.every((l) => Number(l['windows']) > 0 && /^\d+$/.test(String(l['next'])))).toBe(true);
    await stopAggregator(survivor);
    await expectTableMatchesTruth(f);
    await expectClosedWindowsEmittedOnce(f);
  });
});
