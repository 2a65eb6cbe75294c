// The Kafka sink through the CLI: a read_committed reader (kcat) sees every record once after
// iterations, after a SIGKILL while tasks produce, after a SIGKILL between the tasks' Kafka
// transactions and krange's commit, and after a reset replaying the topic with other boundaries.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { cli, startCli } from '../../helpers/cli.ts';
import { watermarks, withAdmin } from '../../helpers/kafka.ts';
import {
  expectKafkaExactlyOnce,
  PG_KAFKA_JOB,
  pgKafkaFixture,
  readCommitted,
} from '../../helpers/pg-kafka.ts';
import { until } from '../../helpers/until.ts';

/** Marker groups of the job whose range is committed (offset = the range's end). */
async function committedMarkers(job: string): Promise<number> {
  return withAdmin(async (a) => {
    const { groups } = await a.listGroups();
    let n = 0;
    for (const g of groups.filter((x) => x.groupId.startsWith(`krange-sink.${job}.`))) {
      const end = g.groupId.split('-').pop();
      const offsets = await a.fetchOffsets({ groupId: g.groupId });
      if (offsets.some((t) => t.partitions.some((p) => p.offset === end))) n++;
    }
    return n;
  });
}

const produced = async (topic: string): Promise<bigint> =>
  (await watermarks(topic)).reduce((s, p) => s + p.high, 0n);

describe('the kafka sink', () => {
  it('produces every record exactly once for read_committed readers, across SIGKILLs and a reset', async () => {
    const f = await pgKafkaFixture('kafka', 3, { KRANGE_TEST_MAX_PER_TASK: '700' });
    const state = join(f.stateDir, f.job);
    await produceEvents(f, 2000);
    const first = await cli(['run', PG_KAFKA_JOB], f.env);
    expect(first.stderr).not.toMatch(/"level":50/);
    expect(first.code).toBe(0);
    expectKafkaExactlyOnce(f.outTopic, f.payloads);
    // Keyed by the row's `user`, JSON values, the source record in a header.
    const [one] = readCommitted(f.outTopic);
    expect(one?.key).toMatch(/^k\d+$/);
    expect(one?.source).toMatch(new RegExp(`^${f.topic}/\\d/\\d+$`));

    // 1. SIGKILL while tasks produce: records sent inside open transactions, the iteration not committed.
    await produceEvents(f, 3000);
    const before = await produced(f.outTopic);
    const markersBefore = await committedMarkers(f.job);
    let run = startCli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_TEST_DELAY_MS: '150' });
    await until('records of iteration 1 sent', async () => (await produced(f.outTopic)) > before + 600n);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);
    const plan1 = JSON.parse(readFileSync(join(state, 'offsets', '1.json'), 'utf8'));

    // 2. SIGKILL after every task's transaction committed, before krange's commit.
    run = startCli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_DEBUG_PAUSE_BEFORE_COMMIT_MS: '60000' });
    await until(
      'every task of iteration 1 committed in Kafka',
      async () => (await committedMarkers(f.job)) === markersBefore + plan1.tasks.length,
      120_000,
      500,
    );
    expectKafkaExactlyOnce(f.outTopic, f.payloads);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(state, 'commits', '1.json'))).toBe(false);

    const again = await cli(['run', PG_KAFKA_JOB], f.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed uncommitted plan/);
    expectKafkaExactlyOnce(f.outTopic, f.payloads);
    const commit1 = JSON.parse(readFileSync(join(state, 'commits', '1.json'), 'utf8'));
    for (const t of commit1.tasks) expect(t.sinks[`kafka:${f.outTopic}`].rows).toBe(0);

    // 3. Reset to the beginning with other task boundaries, plus new records: only these are produced.
    await produceEvents(f, 500);
    expect((await cli(['reset', PG_KAFKA_JOB, '--to', 'earliest', '--yes'], f.env)).code).toBe(0);
    const replay = await cli(['run', PG_KAFKA_JOB], { ...f.env, KRANGE_TEST_MAX_PER_TASK: '1100' });
    expect(replay.code).toBe(0);
    expectKafkaExactlyOnce(f.outTopic, f.payloads);
  });
});
