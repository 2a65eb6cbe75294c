// Where the services are: KRANGE_* environment variables, defaulting to the local stack's ports
// (scripts/services), and how long a failing call to them is retried. Read once at the edge;
// everything else receives plain values.

import { retryBudgetMs } from '../retry.ts';

export interface ServiceEndpoints {
  kafkaBrokers: string[];
  webhdfsUrl: string;
  hdfsUser: string;
  mongoUrl: string;
  redisUrl: string;
  pgUrl: string;
  /** How long a failing call to one of these services is retried (ms): the job's retry.budgetMs, else KRANGE_RETRY_BUDGET_MS. */
  retryBudgetMs: number;
}

export function serviceEndpoints(env: NodeJS.ProcessEnv = process.env): ServiceEndpoints {
  return {
    kafkaBrokers: (env['KRANGE_KAFKA_BROKERS'] ?? '127.0.0.1:19092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    webhdfsUrl: env['KRANGE_WEBHDFS_URL'] ?? 'http://127.0.0.1:19870',
    hdfsUser: env['KRANGE_HDFS_USER'] ?? 'krange',
    mongoUrl: env['KRANGE_MONGO_URL'] ?? 'mongodb://127.0.0.1:27117/?directConnection=true',
    redisUrl: env['KRANGE_REDIS_URL'] ?? 'redis://127.0.0.1:16379',
    pgUrl: env['KRANGE_PG_URL'] ?? 'postgres://krange@127.0.0.1:15432/krange',
    retryBudgetMs: retryBudgetMs(undefined, env),
  };
}

/** The variable that names each service's address. */
export const ENDPOINT_VARIABLES = {
  kafka: 'KRANGE_KAFKA_BROKERS',
  webhdfs: 'KRANGE_WEBHDFS_URL',
  mongo: 'KRANGE_MONGO_URL',
  redis: 'KRANGE_REDIS_URL',
  postgres: 'KRANGE_PG_URL',
} as const;
export type Service = keyof typeof ENDPOINT_VARIABLES;

/**
 * Where an address came from, for an error a user must act on: the job's own option when it set
 * one, else the variable, else the local stack's default (and the variable that would change it).
 */
export function addressOrigin(
  service: Service,
  jobOption?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (jobOption !== undefined) return `set by the job's ${jobOption}`;
  const variable = ENDPOINT_VARIABLES[service];
  return env[variable] === undefined ? `the default; set ${variable} to change it` : `set by ${variable}`;
}

/** `user:pass@host` -> `user@host`: an address shown in an error never carries a password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1@');
}
