// The services a workload needs, probed with their own clients (not the status scripts, which
// other engineers may be changing): wait a while for one that is restarting, then give up with a
// reason the report can print.

import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { WebHdfsClient } from '../../src/fs/webhdfs-client.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';

export type ServiceName = 'kafka' | 'hdfs' | 'mongo' | 'redis' | 'postgres';

export const endpoints = serviceEndpoints();

export function webhdfs(): WebHdfsClient {
  return new WebHdfsClient({ url: endpoints.webhdfsUrl, user: endpoints.hdfsUser, retryBudgetMs: 30_000 });
}

async function probe(name: ServiceName): Promise<void> {
  switch (name) {
    case 'kafka': {
      const admin = createKafka({
        brokers: serviceEndpoints().kafkaBrokers,
        clientId: 'krange-bench-probe',
      }).admin();
      await admin.connect();
      try {
        await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
      return;
    }
    case 'hdfs': {
      await webhdfs().listStatus('/');
      return;
    }
    case 'mongo': {
      const c = new MongoClient(endpoints.mongoUrl, {
        serverSelectionTimeoutMS: 3000,
        connectTimeoutMS: 3000,
        socketTimeoutMS: 5000,
      });
      try {
        await c.connect();
        await c.db('admin').command({ ping: 1 });
      } finally {
        await c.close().catch(() => undefined);
      }
      return;
    }
    case 'redis': {
      const r = new Redis(endpoints.redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      try {
        await r.connect();
        await r.ping();
      } finally {
        r.disconnect();
      }
      return;
    }
    case 'postgres': {
      const c = new pg.Client({ connectionString: endpoints.pgUrl, connectionTimeoutMillis: 3000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
      } finally {
        await c.end().catch(() => undefined);
      }
      return;
    }
  }
}

/** Resolves when the service answers; after `waitMs` resolves with the last error's message. */
export async function waitForService(name: ServiceName, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  let last = '';
  for (let attempt = 0; ; attempt++) {
    try {
      // A server that accepts connections but never answers must not hang the benchmark.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        probe(name),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      return undefined;
    } catch (err) {
      last = (err as Error).message;
      if (Date.now() >= deadline) return `${name} not reachable: ${last}`;
      if (attempt === 0) process.stderr.write(`[bench] waiting for ${name} (${last})\n`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}
