// What the numbers were measured on: cores, memory, load, and the versions of everything involved.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, homedir, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { ROOT } from './engines.ts';
import { endpoints } from './services.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  java: string;
  versions: Record<string, string>;
}

/** stdout and stderr together (`java -version` prints on stderr). */
function cmd(file: string, args: string[]): string {
  const r = spawnSync(file, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

function pomValue(path: string, tag: string): string {
  try {
    const m = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(readFileSync(join(ROOT, path), 'utf8'));
    return m?.[1] ?? '?';
  } catch {
    return '?';
  }
}

function pkgVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '?';
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const versions: Record<string, string> = {
    kafka: cmd('bash', ['scripts/services/kafka.sh', 'version']) || '?',
    hadoop: pomValue('scripts/services/hdfs/pom.xml', 'hadoop.version'),
    spark: pomValue('bench/spark/pom.xml', 'spark.version'),
    kafkajs: pkgVersion('kafkajs'),
    'parquet-wasm': pkgVersion('parquet-wasm'),
    'apache-arrow': pkgVersion('apache-arrow'),
    'hyparquet-writer': pkgVersion('hyparquet-writer'),
    'parquetjs-lite': pkgVersion('parquetjs-lite'),
    duckdb: pkgVersion('@duckdb/node-api'),
  };
  try {
    const c = new pg.Client({ connectionString: endpoints.pgUrl, connectionTimeoutMillis: 3000 });
    await c.connect();
    versions['postgres'] = String(
      (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?',
    );
    await c.end();
  } catch {
    versions['postgres'] = 'not reachable';
  }
  try {
    const r = new Redis(endpoints.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    await r.connect();
    const info = await r.info('server');
    versions['redis'] = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    r.disconnect();
  } catch {
    versions['redis'] = 'not reachable';
  }
  try {
    const m = new MongoClient(endpoints.mongoUrl, { serverSelectionTimeoutMS: 3000 });
    await m.connect();
    const b = await m.db('admin').command({ buildInfo: 1 });
    if (typeof b['ferretdbVersion'] === 'string') {
      // FerretDB builds may report 'unknown'; the binary's name carries the version.
      const cache = process.env['KRANGE_CACHE'] ?? join(homedir(), '.cache/krange');
      const bin = existsSync(join(cache, 'bin'))
        ? /ferretdb-([\d.]+)/.exec(readdirSync(join(cache, 'bin')).join(' '))
        : null;
      const v = b['ferretdbVersion'] !== 'unknown' ? b['ferretdbVersion'] : (bin?.[1] ?? 'unknown');
      versions['mongo-wire server'] = `FerretDB ${v} (SQLite backend; wire version ${String(b['version'])})`;
    } else {
      versions['mongo-wire server'] = `MongoDB ${String(b['version'])}`;
    }
    await m.close();
  } catch {
    versions['mongo-wire server'] = 'not reachable';
  }
  return {
    cpuModel: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    java: cmd('java', ['-version']).split('\n')[0] ?? '?',
    versions,
  };
}

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
