// A private HDFS (NameNode + DataNode) for a fault test that must stop it: the same script as the
// shared stack (scripts/services/hdfs.sh) with its own service directory and free ports, so the
// shared HDFS other tests use is never touched. Costs ~300 MB of RAM and ~10-20 s per start.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { WebHdfsClient } from '../../src/fs/webhdfs-client.ts';

const run = promisify(execFile);
const HDFS_SH = resolve('scripts/services/hdfs.sh');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

export interface PrivateHdfs {
  /** The NameNode's WebHDFS address, e.g. http://127.0.0.1:40123 */
  url: string;
  /** `webhdfs://127.0.0.1:<port><path>` for a sink path on this instance. */
  location(path: string): string;
  client(): WebHdfsClient;
  /** Stops both daemons (the NameNode is unreachable until start). */
  stop(): Promise<void>;
  /** Starts them again and waits until WebHDFS takes writes. */
  start(): Promise<void>;
  /** Stops and removes everything. */
  destroy(): Promise<void>;
}

export async function startPrivateHdfs(): Promise<PrivateHdfs> {
  const dir = mkdtempSync(join(tmpdir(), 'krange-private-hdfs-'));
  const ports = {
    KRANGE_HDFS_NN_RPC_PORT: await freePort(),
    KRANGE_HDFS_NN_HTTP_PORT: await freePort(),
    KRANGE_HDFS_DN_PORT: await freePort(),
    KRANGE_HDFS_DN_HTTP_PORT: await freePort(),
    KRANGE_HDFS_DN_IPC_PORT: await freePort(),
  };
  const env = {
    ...process.env,
    KRANGE_SVC_DIR: dir,
    KRANGE_HDFS_HEAP: '192m',
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  const sh = (verb: string) => run('bash', [HDFS_SH, verb], { env, timeout: 240_000 });
  const h: PrivateHdfs = {
    url: `http://127.0.0.1:${ports.KRANGE_HDFS_NN_HTTP_PORT}`,
    location: (path) => `webhdfs://127.0.0.1:${ports.KRANGE_HDFS_NN_HTTP_PORT}${path}`,
    client: () => new WebHdfsClient({ url: h.url, user: 'krange', retryBudgetMs: 30_000 }),
    stop: async () => {
      await sh('stop');
    },
    start: async () => {
      await sh('start');
    },
    destroy: async () => {
      await sh('stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await h.start();
  return h;
}
