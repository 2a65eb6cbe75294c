// krange as a cluster of hosts in network namespaces: the driver (`krange run --executors bullmq`) on
// host h1, `krange executor` on hosts h2 and h3, each host reaching Kafka, HDFS, MongoDB and Redis
// only through its own link, the job's state on HDFS. An executor SIGKILLed mid-task, and an
// executor host cut off mid-task and plugged back in later, both leave every record exactly once:
// DuckDB on the Parquet files, one MongoDB document per record, each Redis `latest` key at its Kafka
// key's last offset, and the commit files read back as a history without gap or overlap up to
// Kafka's log end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../helpers/batch.ts';
import { expectGaplessHistory } from '../../helpers/cluster/history.ts';
import { type Cluster, type ClusterHost, startCluster } from '../../helpers/cluster/netns-cluster.ts';
import { webhdfsStateView } from '../../helpers/cluster/state-view.ts';
import type { Daemon, LogLine } from '../../helpers/daemon.ts';
import {
  dropThreeSinkData,
  expectThreeSinksExact,
  THREE_SINKS_JOB,
  type ThreeSinkFixture,
  threeSinkFixture,
} from '../../helpers/three-sinks.ts';

const taken = (d: Daemon, iteration: number): LogLine[] =>
  d.lines.filter((l) => l.event === 'executor.task-taken' && l.iteration === iteration);

describe('executors on separate hosts', () => {
  let cluster: Cluster;
  let h1: ClusterHost;
  let h2: ClusterHost;
  let h3: ClusterHost;
  let f: ThreeSinkFixture;
  let root: string;
  const executors = new Map<string, Daemon>();

  const startExecutor = async (h: ClusterHost): Promise<Daemon> => {
    // Short BullMQ locks so a dead or cut-off executor's task is re-queued within seconds.
    const e = h.krange(
      [
        'executor',
        THREE_SINKS_JOB,
        '--threads',
        '1',
        '--lock-duration',
        '2000',
        '--stalled-interval',
        '1000',
      ],
      f.env,
    );
    executors.set(h.name, e);
    await e.until(`executor ready on ${h.name}`, (ls) => ls.some((l) => l.event === 'executor.ready'));
    return e;
  };
  const runOnH1 = (): Daemon => h1.krange(['run', THREE_SINKS_JOB, '--executors', 'bullmq', '--json'], f.env);
  const committed = async (d: Daemon, iteration: number, records: number): Promise<void> => {
    const r = await d.done;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'committed', iteration, records });
  };

  beforeAll(async () => {
    cluster = await startCluster(['h1', 'h2', 'h3']);
    [h1, h2, h3] = cluster.hosts as [ClusterHost, ClusterHost, ClusterHost];
    // 1,000 records a task with a 200 ms pause every 250: a task takes about a second.
    f = await threeSinkFixture(3, { KRANGE_TEST_MAX_PER_TASK: '1000', KRANGE_TEST_DELAY_MS: '200' });
    // The job's state on HDFS: the driver on h1 plans and commits there, and the executors' tasks
    // check the job's lease there before their final renames.
    root = `/krange-test/state-${f.job}`;
    f.env['KRANGE_STATE_URL'] = `webhdfs://${root}`;
    delete f.env['KRANGE_STATE_DIR'];
    await Promise.all([startExecutor(h2), startExecutor(h3)]);
  });
  afterAll(async () => {
    cluster?.destroy();
    if (f !== undefined) {
      await dropThreeSinkData(f);
      const hdfs = process.env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';
      await fetch(`${hdfs}/webhdfs/v1${root}?op=DELETE&recursive=true&user.name=krange`, {
        method: 'DELETE',
      });
    }
  });

  it("re-runs a SIGKILLed executor's task on the other host", async () => {
    await produceEvents(f, 6000);
    const run = runOnH1();
    const e2 = executors.get('h2')!;
    await e2.until('h2 holds a task of iteration 0', () => taken(e2, 0).length > 0);
    const held = taken(e2, 0).at(-1)?.['task'];
    e2.child.kill('SIGKILL');
    expect((await e2.done).signal).toBe('SIGKILL');
    await committed(run, 0, 6000);
    const e3 = executors.get('h3')!;
    const rerun = taken(e3, 0).filter((l) => l['task'] === held);
    expect(rerun.length, `task ${String(held)} re-run on h3`).toBe(1);
    expect(rerun[0]?.['attempt']).toBeGreaterThanOrEqual(2);
    await expectThreeSinksExact(f);
    expect(await expectGaplessHistory(webhdfsStateView(root, f.job), f.topic, 6000)).toBe(1);
  });

  it('finishes a cut-off host’s task elsewhere, and the host back on the network doubles nothing', async () => {
    const e2 = await startExecutor(h2);
    const e3 = executors.get('h3')!;
    await produceEvents(f, 6000);
    const run = runOnH1();
    await e2.until('h2 holds a task of iteration 1', () => taken(e2, 1).length > 0);
    const held = taken(e2, 1).at(-1)?.['task'];
    h2.cut();
    await committed(run, 1, 6000);
    const rerun = taken(e3, 1).filter((l) => l['task'] === held);
    expect(rerun.length, `task ${String(held)} re-run on h3 while h2 was cut off`).toBe(1);
    expect(rerun[0]?.['attempt']).toBeGreaterThanOrEqual(2);
    await expectThreeSinksExact(f);

    // Back on the network, h2 finishes its stale attempt (same files, same names) and serves again:
    // with h3 stopped, every task of the next iteration runs on h2, after its one thread is free.
    h2.restore();
    e3.child.kill('SIGTERM');
    expect((await e3.done).code).toBe(0);
    await produceEvents(f, 3000);
    await committed(runOnH1(), 2, 3000);
    expect(taken(e2, 2).length).toBeGreaterThan(0);
    await expectThreeSinksExact(f);
    expect(await expectGaplessHistory(webhdfsStateView(root, f.job), f.topic, 15000)).toBe(3);
  });
});
