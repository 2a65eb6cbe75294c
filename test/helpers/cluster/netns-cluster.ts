// Several krange hosts on this machine, each in a network namespace of its own (made by the test,
// named kr-<pid>-<host>), joined to the root namespace by a veth pair with private addresses
// (10.213.<k>.1 root side, .2 host side). The services listen on 127.0.0.1 of the root namespace
// only, so each host reaches them through two TCP forwarders: one in the root namespace on the veth's
// root-side address, one inside the host on 127.0.0.1 of the same ports. Nothing else is routed: a
// host sees the services through its own link only, and cutting that link (`ip link set ... down`)
// cuts the host off as a pulled cable would. A host's processes run under `unshare --uts` with its
// name as hostname (and KRANGE_HOST_ID), in a directory of their own that is also their HOME.
// What a test process killed outright leaves behind (namespaces, root-side forwarders) is removed by
// the next startCluster. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): startCluster fails with a clear
// error otherwise.

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, type Started, startCommand } from '../cli.ts';
import { type Daemon, follow } from '../daemon.ts';

const FORWARDER = join(dirname(fileURLToPath(import.meta.url)), 'tcp-forwarder.mjs');

export interface ClusterHost {
  /** The host's name (its hostname and KRANGE_HOST_ID), e.g. `h1`. */
  readonly name: string;
  readonly ns: string;
  /** Its working directory and HOME. */
  readonly dir: string;
  /** The veth end in the root namespace: set down to cut the host off. */
  readonly link: string;
  readonly rootAddress: string;
  readonly hostAddress: string;
  /** `krange <args>` on this host, its JSON log lines followed. */
  krange(args: string[], env?: Record<string, string>): Daemon;
  /** Pulls the host's cable: its link goes down, open connections stall, new ones fail. */
  cut(): void;
  /** Plugs it back in. */
  restore(): void;
}

export interface Cluster {
  hosts: ClusterHost[];
  /** Kills every process of every host and removes the namespaces; safe to call twice. */
  destroy(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process inside a namespace is ours (the namespace is): killed with SIGKILL. */
function killAllIn(ns: string): void {
  let pids: string[] = [];
  try {
    pids = ip('netns', 'pids', ns).split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const p of pids) {
    try {
      process.kill(Number(p), 'SIGCONT');
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

function removeNamespace(ns: string): void {
  killAllIn(ns);
  // Deleting the namespace deletes the veth end inside it, and with it the pair.
  tryIp('netns', 'del', ns);
}

/** Where a cluster records its root-namespace forwarders, which live outside its namespaces. */
const forwardersFile = (owner: number): string => join(tmpdir(), `krange-cluster-${owner}.forwarders`);

/** Kills the forwarders a dead test process recorded (only processes still running the forwarder). */
function killOrphanForwarders(): void {
  for (const f of readdirSync(tmpdir())) {
    const m = /^krange-cluster-(\d+)\.forwarders$/.exec(f);
    if (m?.[1] === undefined || alive(Number(m[1]))) continue;
    for (const pid of readFileSync(join(tmpdir(), f), 'utf8').split('\n').filter(Boolean).map(Number)) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmd.includes('tcp-forwarder.mjs')) process.kill(pid, 'SIGKILL');
    }
    rmSync(join(tmpdir(), f), { force: true });
  }
}

/** Namespaces and forwarders left by a cluster test whose process died without cleaning up (SIGKILL, OOM). */
function removeOrphans(): void {
  killOrphanForwarders();
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = /^(kr-(\d+)-[a-z0-9]+)\b/.exec(line);
    if (m?.[1] !== undefined && !alive(Number(m[2]))) removeNamespace(m[1]);
  }
}

/** A /24 of 10.213.0.0/16 with no address on this machine (other cluster tests may run at once). */
function freeSubnets(n: number): number[] {
  const used = new Set<number>();
  for (const m of ip('-4', '-o', 'addr').matchAll(/inet 10\.213\.(\d+)\./g)) used.add(Number(m[1]));
  const out: number[] = [];
  let k = 1 + (process.pid % 200);
  for (let tries = 0; out.length < n && tries < 254; tries++, k = (k % 254) + 1)
    if (!used.has(k)) out.push(k);
  if (out.length < n) throw new Error('no free 10.213.<k>.0/24 subnet for the cluster test');
  return out;
}

/** The ports the services listen on, from the test's KRANGE_* URLs and the NameNode's live DataNode. */
export async function servicePorts(): Promise<number[]> {
  const env = process.env;
  const port = (name: string, url: string | undefined, fallback: number): number => {
    if (url === undefined || url === '') return fallback;
    const first = url.includes('://') ? new URL(url.split(',')[0]!).port : url.split(',')[0]!.split(':')[1];
    const n = Number(first);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`cannot read the port of ${name}=${url}`);
    return n;
  };
  const hdfs = env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870';
  const ports = [
    port('KRANGE_KAFKA_BROKERS', env['KRANGE_KAFKA_BROKERS'], 19092),
    port('KRANGE_WEBHDFS_URL', hdfs, 19870),
    port('KRANGE_REDIS_URL', env['KRANGE_REDIS_URL'], 16379),
    port('KRANGE_PG_URL', env['KRANGE_PG_URL'], 15432),
    port('KRANGE_MONGO_URL', env['KRANGE_MONGO_URL'], 27117),
  ];
  // WebHDFS redirects CREATE and OPEN to the DataNode's HTTP address, which the NameNode reports.
  const jmx = (await (await fetch(`${hdfs}/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo`)).json()) as {
    beans: { LiveNodes: string }[];
  };
  const nodes = JSON.parse(jmx.beans[0]?.LiveNodes ?? '{}') as Record<string, { infoAddr: string }>;
  for (const n of Object.values(nodes)) ports.push(Number(n.infoAddr.split(':')[1]));
  return [...new Set(ports)];
}

/** Starts a forwarder (in a namespace, or the root one) and waits for its `ready` line. */
async function startForwarder(
  ns: string | undefined,
  listen: string,
  target: string,
  ports: number[],
): Promise<Started> {
  const args = [FORWARDER, listen, target, ports.join(',')];
  const started =
    ns === undefined
      ? startCommand(process.execPath, args, {}, { detached: true })
      : startCommand('ip', ['netns', 'exec', ns, process.execPath, ...args], {}, { detached: true });
  await new Promise<void>((res, rej) => {
    let out = '';
    started.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) res();
    });
    void started.done.then((r) => rej(new Error(`forwarder ${listen} -> ${target} exited: ${r.stderr}`)));
  });
  return started;
}

function killGroup(s: Started): void {
  const pid = s.child.pid;
  if (pid === undefined || s.child.exitCode !== null || s.child.signalCode !== null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/**
 * Hosts `names` (e.g. ['h1', 'h2', 'h3']), each in its own namespace with the services reachable
 * through its link. Call destroy() in afterAll; it also runs on process exit.
 */
export async function startCluster(names: string[]): Promise<Cluster> {
  try {
    ip('netns', 'list');
    execFileSync('unshare', ['--uts', 'true'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `the cluster tests make network namespaces and need root (CAP_NET_ADMIN and CAP_SYS_ADMIN): ` +
        `'ip netns' or 'unshare --uts' is not permitted here (${(err as Error).message.split('\n')[0]})`,
    );
  }
  removeOrphans();
  const ports = await servicePorts();
  const subnets = freeSubnets(names.length);
  const processes: Started[] = [];
  const namespaces: string[] = [];
  const dirs: string[] = [];
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const p of processes) killGroup(p);
    for (const ns of namespaces) removeNamespace(ns);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    rmSync(forwardersFile(process.pid), { force: true });
    process.off('exit', destroy);
  };
  process.on('exit', destroy);
  try {
    const hosts: ClusterHost[] = [];
    for (const [i, name] of names.entries()) {
      const ns = `kr-${process.pid}-${name}`;
      const k = subnets[i]!;
      const link = `kr${process.pid}${name}`.slice(0, 15);
      const peer = `${link.slice(0, 13)}-p`;
      const rootAddress = `10.213.${k}.1`;
      const hostAddress = `10.213.${k}.2`;
      try {
        ip('netns', 'add', ns);
      } catch (err) {
        throw new Error(`ip netns add ${ns} failed: ${(err as { stderr?: string }).stderr ?? err}`);
      }
      namespaces.push(ns);
      ip('link', 'add', link, 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', peer, 'netns', ns);
      ip('addr', 'add', `${rootAddress}/24`, 'dev', link);
      ip('link', 'set', link, 'up');
      ip('-n', ns, 'addr', 'add', `${hostAddress}/24`, 'dev', peer);
      ip('-n', ns, 'link', 'set', peer, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      const outside = await startForwarder(undefined, rootAddress, '127.0.0.1', ports);
      processes.push(outside);
      appendFileSync(forwardersFile(process.pid), `${outside.child.pid}\n`);
      processes.push(await startForwarder(ns, '127.0.0.1', rootAddress, ports));
      const dir = mkdtempSync(join(tmpdir(), `krange-${name}-`));
      dirs.push(dir);
      hosts.push({
        name,
        ns,
        dir,
        link,
        rootAddress,
        hostAddress,
        krange(args, env = {}) {
          // ip netns exec, unshare and sh all exec: the child's pid is the node process's.
          const started = startCommand(
            'ip',
            [
              'netns',
              'exec',
              ns,
              'unshare',
              '--uts',
              'sh',
              '-c',
              `hostname ${name} && exec "$0" "$@"`,
              process.execPath,
              resolve(BIN),
              ...args,
            ],
            { HOME: dir, KRANGE_HOST_ID: name, ...env },
            { cwd: dir, detached: true },
          );
          processes.push(started);
          return follow(started, `krange ${args[0]} on ${name}`);
        },
        cut: () => void ip('link', 'set', link, 'down'),
        restore: () => void ip('link', 'set', link, 'up'),
      });
    }
    return { hosts, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
