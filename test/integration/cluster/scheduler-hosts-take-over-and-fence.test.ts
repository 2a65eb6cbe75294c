// `krange schedule` on two hosts (network namespaces h1 and h2) for the same job, whose state is on
// HDFS (KRANGE_STATE_URL=webhdfs://...), reached by each host over its own link, with a short lease
// (KRANGE_LEASE_TTL_MS). The host running an iteration
// is the leader for it. SIGKILLed mid-iteration, the other host takes the lease once it lapses and
// resumes the uncommitted plan first, then runs the next iterations. SIGSTOPped past its lease and
// SIGCONTed after the other host committed its plan, the old leader is fenced (it commits nothing)
// and goes on as a follower. Cut off from the network (its link down) mid-iteration, it loses the
// lease the same way, and once its link is back it is fenced too. After each: every record once in the Parquet files (DuckDB), one
// MongoDB document per record, each Redis `latest` key at its Kafka key's last offset, and the
// commit files a history without gap or overlap up to Kafka's log end.
import { afterEach, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { finalFileIds } from '../../helpers/cluster/hdfs-file-ids.ts';
import { expectGaplessHistory } from '../../helpers/cluster/history.ts';
import { type Cluster, type ClusterHost, startCluster } from '../../helpers/cluster/netns-cluster.ts';
import { type StateView, webhdfsStateView } from '../../helpers/cluster/state-view.ts';
import type { Daemon, LogLine } from '../../helpers/daemon.ts';
import {
  dropThreeSinkData,
  expectThreeSinksExact,
  THREE_SINKS_JOB,
  type ThreeSinkFixture,
  threeSinkFixture,
} from '../../helpers/three-sinks.ts';
import { until } from '../../helpers/until.ts';

const TTL_MS = 4000;

interface Leader {
  leader: Daemon;
  follower: Daemon;
  followerHost: ClusterHost;
}

async function twoSchedulers(cluster: Cluster, f: ThreeSinkFixture): Promise<[Daemon, Daemon]> {
  const [h1, h2] = cluster.hosts as [ClusterHost, ClusterHost];
  const a = h1.krange(['schedule', THREE_SINKS_JOB], f.env);
  const b = h2.krange(['schedule', THREE_SINKS_JOB], f.env);
  await Promise.all([
    a.until('h1 scheduling', (ls) => ls.some((l) => l.event === 'schedule.started')),
    b.until('h2 scheduling', (ls) => ls.some((l) => l.event === 'schedule.started')),
  ]);
  return [a, b];
}

/** The scheduler that planned iteration n (the other one is locked out meanwhile). */
async function whoPlans(cluster: Cluster, [a, b]: [Daemon, Daemon], n: number): Promise<Leader> {
  const planned = (d: Daemon): boolean => d.events('iteration.planned').some((l) => l.iteration === n);
  await until(`a scheduler plans iteration ${n}`, () => planned(a) || planned(b), 120_000);
  return planned(a)
    ? { leader: a, follower: b, followerHost: cluster.hosts[1]! }
    : { leader: b, follower: a, followerHost: cluster.hosts[0]! };
}

const committedTick = (d: Daemon, n: number): LogLine | undefined =>
  d.events('schedule.tick').find((l) => l.iteration === n && l.status === 'committed');

/** Records of the iterations the daemons committed (a resumed plan counts where it was committed). */
const committedRecords = (ds: Daemon[]): number =>
  ds
    .flatMap((d) => d.events('schedule.tick'))
    .filter((l) => l.status === 'committed')
    .reduce((sum, l) => sum + (l.records ?? 0), 0);

describe('schedulers on two hosts', () => {
  let cluster: Cluster | undefined;
  let fixture: ThreeSinkFixture | undefined;
  let state: StateView;
  afterEach(async () => {
    cluster?.destroy();
    if (fixture !== undefined) {
      await dropThreeSinkData(fixture);
      const hdfs = process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';
      await fetch(
        `${hdfs}/webhdfs/v1/krange-test/state-${fixture.job}?op=DELETE&recursive=true&user.name=krange`,
        {
          method: 'DELETE',
        },
      );
    }
    fixture = undefined;
  });

  async function setUp(): Promise<ThreeSinkFixture> {
    cluster = await startCluster(['h1', 'h2']);
    // 1,000 records a task with a 200 ms pause every 250, two threads: an iteration of 6,000
    // records takes a few seconds.
    const f = await threeSinkFixture(3, {
      KRANGE_TEST_MAX_PER_TASK: '1000',
      KRANGE_TEST_DELAY_MS: '200',
      KRANGE_TEST_CRON: '* * * * * *',
      KRANGE_LEASE_TTL_MS: String(TTL_MS),
    });
    // The job's state on HDFS, which both hosts reach over their links (each keeps only its
    // progress file in its own ./state).
    const root = `/krange-test/state-${f.job}`;
    f.env['KRANGE_STATE_URL'] = `webhdfs://${root}`;
    delete f.env['KRANGE_STATE_DIR'];
    state = webhdfsStateView(root, f.job);
    fixture = f;
    return f;
  }

  const claim = async (g: number) =>
    (await state.readJson(`lock-generations/${g}.json`)) as { heartbeatAt: string; host: string };

  it('the other host resumes the plan of a SIGKILLed leader once its lease lapses', async () => {
    const f = await setUp();
    // All of iteration 0's records exist before either host ticks: its plan holds all 6,000.
    await produceEvents(f, 6000);
    const pair = await twoSchedulers(cluster!, f);
    const { leader, follower, followerHost } = await whoPlans(cluster!, pair, 0);
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await leader.done).signal).toBe('SIGKILL');

    await follower.until(
      'the follower commits iteration 0',
      () => committedTick(follower, 0) !== undefined,
      120_000,
    );
    const resumed = follower.events('iteration.resumed').find((l) => l.iteration === 0);
    expect(resumed, 'the follower resumed the uncommitted plan').toBeDefined();
    const stale = follower.events('lock.stale');
    expect(stale.length).toBeGreaterThan(0);
    // It waited for the lease: taken no sooner than TTL after the dead leader's last heartbeat,
    // and soon after (a tick a second, a loaded machine).
    const took = stale[0]!.time;
    const deadClaim = await claim(stale[0]!['generation'] as number);
    expect(took - Date.parse(deadClaim.heartbeatAt)).toBeGreaterThanOrEqual(TTL_MS);
    expect(took - killedAt).toBeLessThan(TTL_MS + 15_000);
    expect(deadClaim.host, 'the lease taken over was the dead leader’s').not.toBe(followerHost.name);
    const attempts = (await state.readJson('attempts/0.json')) as {
      attempts: { outcome: string; host: string }[];
    };
    expect(attempts.attempts.map((a: { outcome: string; host: string }) => [a.outcome, a.host])).toEqual([
      ['killed', deadClaim.host],
      ['committed', followerHost.name],
    ]);

    // The survivor leads on: the next records are its next iteration.
    await produceEvents(f, 3000);
    await until(
      'the follower commits the next records',
      () => committedRecords([follower]) === 9000,
      120_000,
    );
    await expectThreeSinksExact(f);
    expect(await expectGaplessHistory(state, f.topic, 9000)).toBeGreaterThanOrEqual(2);
  });

  it('a leader SIGSTOPped past its lease is fenced when it wakes and steps down', async () => {
    const f = await setUp();
    // All of iteration 0's records exist before either host ticks: its plan holds all 6,000.
    await produceEvents(f, 6000);
    const pair = await twoSchedulers(cluster!, f);
    const { leader, follower } = await whoPlans(cluster!, pair, 0);
    leader.child.kill('SIGSTOP');
    await follower.until(
      'the follower commits iteration 0',
      () => committedTick(follower, 0) !== undefined,
      120_000,
    );
    const commit0 = await state.readJson('commits/0.json');
    const files = await finalFileIds(f.hdfsDir);
    expect(Object.keys(files).length).toBeGreaterThan(0);
    leader.child.kill('SIGCONT');

    // The zombie's tasks find the newer generation before renaming anything into place, and its
    // driver before committing: its iteration fails, fenced.
    await leader.until('the old leader is fenced', (ls) =>
      ls.some((l) => l.event === 'schedule.failed' && l.iteration === 0),
    );
    const fenced = leader.lines.filter(
      (l) => (l.event === 'schedule.failed' || l.event === 'task.failed') && l['code'] === 'KRANGE_FENCED',
    );
    expect(fenced.length, 'the zombie was fenced').toBeGreaterThan(0);
    expect(committedTick(leader, 0)).toBeUndefined();
    // No final file was replaced by the zombie (a rename would bring its own file id).
    expect(await finalFileIds(f.hdfsDir)).toEqual(files);
    expect(await state.readJson('commits/0.json')).toEqual(commit0);
    expect(leader.child.exitCode).toBeNull();

    // It stays a healthy follower: the next iteration is committed once, by whichever host runs it.
    await produceEvents(f, 3000);
    await until('the next records committed', () => committedRecords([leader, follower]) === 9000, 120_000);
    expect(leader.events('schedule.failed').filter((l) => l['code'] !== 'KRANGE_FENCED')).toEqual([]);
    expect(follower.events('schedule.failed')).toEqual([]);
    await expectThreeSinksExact(f);
    expect(await expectGaplessHistory(state, f.topic, 9000)).toBeGreaterThanOrEqual(2);
  });

  it('a leader cut off from the network loses the job to the other host and is fenced when its link is back', async () => {
    const f = await setUp();
    await produceEvents(f, 6000);
    const pair = await twoSchedulers(cluster!, f);
    const { leader, follower, followerHost } = await whoPlans(cluster!, pair, 0);
    const leaderHost = cluster!.hosts.find((h) => h !== followerHost)!;
    leaderHost.cut();
    let commit0: unknown;
    let files: Record<string, unknown>;
    try {
      // Its heartbeats no longer reach HDFS: the other host takes the lease once it lapses.
      await follower.until(
        'the follower commits iteration 0',
        () => committedTick(follower, 0) !== undefined,
        120_000,
      );
      expect(follower.events('iteration.resumed').some((l) => l.iteration === 0)).toBe(true);
      commit0 = await state.readJson('commits/0.json');
      files = await finalFileIds(f.hdfsDir);
      expect(Object.keys(files).length).toBeGreaterThan(0);
    } finally {
      leaderHost.restore();
    }

    // Back on the network, its retried writes reach the servers again, but its tasks and its driver
    // find the newer generation: iteration 0 ends without a commit of its own.
    await leader.until(
      'the old leader gives iteration 0 up',
      (ls) => ls.some((l) => l.event === 'schedule.failed' && l.iteration === 0),
      180_000,
    );
    const gaveUp = leader.events('schedule.failed').find((l) => l.iteration === 0);
    expect(gaveUp?.['code'], 'the old leader was fenced').toBe('KRANGE_FENCED');
    expect(committedTick(leader, 0)).toBeUndefined();
    expect(await finalFileIds(f.hdfsDir)).toEqual(files);
    expect(await state.readJson('commits/0.json')).toEqual(commit0);
    expect(leader.child.exitCode).toBeNull();

    await produceEvents(f, 3000);
    await until('the next records committed', () => committedRecords([leader, follower]) === 9000, 120_000);
    await expectThreeSinksExact(f);
    expect(await expectGaplessHistory(state, f.topic, 9000)).toBeGreaterThanOrEqual(2);
  });
});
