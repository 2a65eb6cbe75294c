// The cluster harness itself (test/helpers/cluster/): a host in its network namespace reaches every
// service at its usual 127.0.0.1 address through its own link (Redis with redis-cli, PostgreSQL
// with psql, Kafka's metadata and its advertised address with kcat, a WebHDFS write redirected to
// the DataNode with curl, read back from the root namespace), reaches no other address of this
// machine, loses them all when its link is cut, and has them back when it is restored. The cluster
// tests' cut-off cases mean something only if this holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  type ClusterHost,
  servicePorts,
  startCluster,
} from '../../helpers/cluster/netns-cluster.ts';
import { until } from '../../helpers/until.ts';

const env = process.env;
const port = (url: string | undefined, fallback: number): string =>
  url ? new URL(url.split(',')[0]!.includes('://') ? url : `tcp://${url}`).port : String(fallback);

describe('a host in its network namespace', () => {
  let cluster: Cluster;
  let h: ClusterHost;
  const inHost = (cmd: string, args: string[], timeoutMs = 20_000) =>
    spawnSync('ip', ['netns', 'exec', h.ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const redisPing = (timeoutMs?: number) =>
    inHost('redis-cli', ['-h', '127.0.0.1', '-p', port(env['KRANGE_REDIS_URL'], 16379), 'ping'], timeoutMs);

  beforeAll(async () => {
    cluster = await startCluster(['h1']);
    h = cluster.hosts[0]!;
  });
  afterAll(() => cluster?.destroy());

  it('reaches each service at its usual address through its own link', async () => {
    expect(redisPing().stdout.trim()).toBe('PONG');
    const pg = inHost('psql', [
      env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange',
      '-Atc',
      'select 41 + 1',
    ]);
    expect(pg.stdout.trim(), pg.stderr).toBe('42');
    const brokers = env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092';
    const meta = inHost('kcat', ['-b', brokers, '-L', '-m', '10']);
    expect(meta.status, meta.stderr).toBe(0);
    expect(meta.stdout).toContain(`at ${brokers.split(',')[0]}`);

    // A WebHDFS CREATE is redirected to the DataNode's own 127.0.0.1 address: that works too.
    const hdfs = env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';
    const path = `/krange-test/netns-${randomUUID().slice(0, 8)}.txt`;
    const put = inHost('curl', [
      '-sS',
      '-f',
      '-L',
      '-X',
      'PUT',
      '--data-binary',
      'written from h1',
      `${hdfs}/webhdfs/v1${path}?op=CREATE&overwrite=true&user.name=krange`,
    ]);
    expect(put.status, put.stderr).toBe(0);
    const read = await fetch(`${hdfs}/webhdfs/v1${path}?op=OPEN&user.name=krange`);
    expect(await read.text()).toBe('written from h1');
    await fetch(`${hdfs}/webhdfs/v1${path}?op=DELETE&user.name=krange`, { method: 'DELETE' });
    expect((await servicePorts()).length).toBeGreaterThanOrEqual(6);
  });

  it('reaches no other address of this machine', () => {
    const others = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /inet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1])
      .filter((a): a is string => a !== undefined && !a.startsWith('127.') && !a.startsWith('10.213.'));
    for (const a of others) {
      const r = inHost('redis-cli', ['-h', a, '-p', port(env['KRANGE_REDIS_URL'], 16379), 'ping'], 5000);
      expect(r.stdout.trim(), `${a} reachable from ${h.name}`).not.toBe('PONG');
    }
    // The root namespace's loopback is not the host's: nothing listens there but our forwarders.
    const direct = inHost('redis-cli', ['-h', h.rootAddress, '-p', '1', 'ping'], 5000);
    expect(direct.stdout.trim()).not.toBe('PONG');
  });

  it('cannot reach Redis while its link is cut, and can again once it is restored', async () => {
    h.cut();
    try {
      const r = redisPing(3000);
      expect(r.stdout.trim()).not.toBe('PONG');
    } finally {
      h.restore();
    }
    await until('Redis reachable again', () => redisPing(3000).stdout.trim() === 'PONG', 30_000, 200);
  });
});
