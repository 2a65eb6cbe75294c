// The gateway's options, validated once (strict zod: unknown keys are refused) from a JSON config
// file, environment and CLI flags, then trusted. Binding beyond loopback without tokens is refused.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Errors } from '../errors.ts';
import { parseTokenEnv, type TokenRule } from './token-rules.ts';

const MiB = 1024 * 1024;

const tokenSchema = z.strictObject({
  /** What logs, metrics and errors call this token (the token itself is never logged). */
  name: z.string().min(1),
  /** The secret clients send as `Authorization: Bearer <token>`; at least 16 characters. */
  token: z.string().min(16, 'tokens need at least 16 characters'),
  /** Topics this token may write: names, `prefix*` patterns or `*`. */
  topics: z.array(z.string().min(1)).min(1),
  /** Records per second for this token (token bucket); unlimited when absent. */
  recordsPerSecond: z.number().positive().optional(),
  /** Records a burst may carry above the rate; default one second's worth. */
  burst: z.number().int().positive().optional(),
});

export const ingestConfigSchema = z.strictObject({
  /** Address to bind; anything but loopback requires tokens. */
  host: z.string().default('127.0.0.1'),
  /** TCP port; 0 picks a free one (printed at start). 8082 is the REST Proxy's port. */
  port: z.number().int().min(0).max(65535).default(8082),
  /** Kafka brokers; default KRANGE_KAFKA_BROKERS or the local stack. */
  brokers: z.array(z.string()).optional(),
  /** Cluster id the v3 routes answer with; default the Kafka cluster's own id. */
  clusterId: z.string().min(1).optional(),
  /** Tokens and the topics each may write; none means open (loopback only). */
  tokens: z.array(tokenSchema).default([]),
  /** Largest record (key + value + headers) accepted, bytes; larger ones get 413. */
  maxRecordBytes: z.number().int().positive().default(MiB),
  /** Largest request body, bytes; larger requests get 413 before they are read further. */
  maxRequestBytes: z
    .number()
    .int()
    .positive()
    .default(16 * MiB),
  /** Largest size of all request headers, bytes (Node's maxHeaderSize); larger get 431. */
  maxHeaderBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024),
  /** How long a record may wait for others to join its Kafka produce call. */
  lingerMs: z.number().int().min(0).default(2),
  /** Bytes per Kafka produce call (keep below the broker's message.max.bytes per partition). */
  batchMaxBytes: z
    .number()
    .int()
    .positive()
    .default(768 * 1024),
  /** Codec of produced batches (snappy, lz4 and zstd from src/kafka/compression.ts). */
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
  /** Bytes of requests accepted but not yet answered; past it requests get 429 with Retry-After. */
  inFlightBytes: z
    .number()
    .int()
    .positive()
    .default(64 * MiB),
  /** Retry-After, seconds, sent with a 429 for a full budget. */
  retryAfterSeconds: z.number().int().positive().default(1),
  /** How long a request waits for Kafka's acknowledgement before it is answered 500 (maybe stored). */
  produceTimeoutMs: z.number().int().positive().default(30_000),
  /** On SIGTERM, how long in-flight batches may take to drain before the process exits. */
  shutdownGraceMs: z.number().int().positive().default(30_000),
  /** Job modules whose `validateAt: 'ingest'` schemas check records; default every job in ./jobs. */
  jobs: z.array(z.string()).optional(),
});

export type IngestConfig = z.output<typeof ingestConfigSchema>;
export type IngestConfigInput = z.input<typeof ingestConfigSchema>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Validates the merged options: file, then KRANGE_INGEST_TOKENS, then flags (later wins). */
export function resolveIngestConfig(
  fromFlags: Partial<IngestConfigInput>,
  opts: { configFile?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): IngestConfig {
  const env = opts.env ?? process.env;
  let fromFile: unknown = {};
  if (opts.configFile !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(opts.configFile, 'utf8'));
    } catch (err) {
      throw Errors.config(`cannot read gateway config ${opts.configFile}: ${(err as Error).message}`, {
        path: opts.configFile,
      });
    }
  }
  const merged: Record<string, unknown> = { ...(fromFile as Record<string, unknown>) };
  const tokenEnv = env['KRANGE_INGEST_TOKENS'];
  if (tokenEnv !== undefined && tokenEnv.trim() !== '') {
    let rules: TokenRule[];
    try {
      rules = parseTokenEnv(tokenEnv);
    } catch (err) {
      throw Errors.config(
        `KRANGE_INGEST_TOKENS: ${(err as Error).message} (format: name:token=topic1,topic2;...)`,
      );
    }
    merged['tokens'] = [...((merged['tokens'] as unknown[]) ?? []), ...rules];
  }
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) merged[k] = v;
  const parsed = ingestConfigSchema.safeParse(merged);
  if (!parsed.success) {
    // Issue paths only: a token value must never reach an error message or a log.
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw Errors.config(`invalid gateway config: ${problems.join('; ')}`);
  }
  const cfg = parsed.data;
  if (!isLoopback(cfg.host) && cfg.tokens.length === 0) {
    throw Errors.config(
      `refusing to bind ${cfg.host} without tokens: anyone who can reach it could write to Kafka. ` +
        'Configure tokens (config file "tokens" or KRANGE_INGEST_TOKENS), or bind 127.0.0.1',
    );
  }
  const names = new Set<string>();
  for (const t of cfg.tokens) {
    if (names.has(t.name)) throw Errors.config(`two tokens are named '${t.name}'; names must be unique`);
    names.add(t.name);
  }
  if (cfg.maxRecordBytes > cfg.maxRequestBytes)
    throw Errors.config('maxRecordBytes must not exceed maxRequestBytes');
  return cfg;
}
