// Redis sink: per task, rows become pipelined commands (`pipelineSize` rows per round trip) on keys
// rendered from the job's key template. Modes:
// - `set`:    SET key <JSON of the row's schema-checked values | valueField> [EX ttl]
// - `hset`:   HSET key <the row's fields as strings>; HDEL of its null fields; EXPIRE key ttl
// - `latest`: a Lua script (EVALSHA through ioredis defineCommand, so it is sent once per server)
//   keeps, per key, the value of the record with the highest Kafka offset. Storage: the key is a
//   hash { v: value, t: topic, p: partition, o: offset (decimal string), ts: record timestamp ms };
//   read the value with `HGET key v`. A write replaces the hash only when it is not older: same
//   topic and partition -> offset >= stored offset; another partition -> larger record timestamp
//   (ties broken by topic, then partition, so a replay always settles on the same winner). It
//   assumes a key's records come from one partition, as with Kafka's key partitioning; then a
//   replayed range never moves a key backwards.
// Every write is idempotent, so transient errors (connection lost, LOADING, READONLY after a
// failover, cluster resharding) retry the whole round trip in order, with backoff, up to `retries`.
// One ioredis client per sink (per worker thread). Sentinel: `redisOptions: { sentinels, name }`;
// Cluster: `redisOptions: { cluster: { nodes, ...ClusterOptions } }`, where commands go out one by
// one through ioredis auto-pipelining (a Cluster pipeline must stay on one node).
// A row the sink cannot write (a key field missing, WRONGTYPE on the server) goes to
// TaskContext.reject, which applies the job's onBadRecord policy.

import {
  Cluster,
  type ClusterNode,
  type ClusterOptions,
  Redis,
  type RedisOptions,
  type Result,
} from 'ioredis';
import { Errors, type KrangeError } from '../../errors.ts';
import { addressOrigin } from '../../job/endpoints.ts';
import type { RedisSinkSpec } from '../../job/job-spec.ts';
import { compileKeyTemplate, type KeyTemplate } from '../../job/key-template.ts';
import { LogEvents } from '../../log-events.ts';
import {
  DEFAULT_RETRY_BUDGET_MS,
  RetriesExhausted,
  transientWhen,
  withRetries,
  writeFailure,
} from '../../retry.ts';
import type { Sink, SinkRow, SinkTaskStats, SinkTaskWriter, TaskContext } from '../sink.ts';
import {
  checkedObject,
  classifyReplies,
  hashFields,
  isTransientRedisError,
  MissingField,
  redisValue,
  renderKey,
} from './redis-encoding.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS[1] key; ARGV value, topic, partition, offset, timestamp, ttl ('' for none). 1 written, 0 stale. */
    krangeLatest(key: string, ...args: (string | Buffer)[]): Result<number, Context>;
  }
}

const LATEST_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'o', 't', 'p', 'ts')
local newer
if not cur[1] then
  newer = true
elseif cur[2] == ARGV[2] and cur[3] == ARGV[3] then
  local a, b = ARGV[4], cur[1]
  if #a ~= #b then newer = #a > #b else newer = a >= b end
else
  local ts, cts = tonumber(ARGV[5]), tonumber(cur[4]) or -1
  if ts ~= cts then newer = ts > cts
  elseif ARGV[2] ~= cur[2] then newer = ARGV[2] > (cur[2] or '')
  else newer = tonumber(ARGV[3]) > (tonumber(cur[3]) or -1) end
end
if not newer then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', ARGV[2], 'p', ARGV[3], 'o', ARGV[4], 'ts', ARGV[5])
if ARGV[6] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
return 1
`;

type Client = Redis | Cluster;
type Arg = string | Buffer | number;
type Cmd = { latest: [key: string, ...args: (string | Buffer)[]] } | { name: string; args: Arg[] };

interface Op {
  row: SinkRow;
  key: string;
  cmds: Cmd[];
  bytes: number;
}

/** `redis://host:port/db` without credentials, for commit files and messages. */
export function redisTarget(url: string): string {
  return url
    .replace(/\/\/[^@/]*@/, '//')
    .replace(/[?#].*$/, '')
    .replace(/\/$/, '');
}

export class RedisSink implements Sink {
  readonly name: string;
  /** `redis://host:port/<key template>`, for commit files. */
  readonly target: string;
  /** `redis://host:port`, for messages. */
  readonly server: string;
  readonly template: KeyTemplate;
  private readonly url: string;
  private client: Client | undefined;
  /** The client's last connection error: says more than ioredis's "max retries per request". */
  lastConnectionError: Error | undefined;
  /** Whether this worker ever reached the server: if not, a failure is reported as unreachable. */
  connectedOnce = false;

  constructor(
    readonly spec: RedisSinkSpec,
    /** The configured server (KRANGE_REDIS_URL), used when the spec names none. */
    redisUrl: string,
    /** How long a failing round trip is retried (ms; the sink's `retries` caps the count within it). */
    readonly retryBudgetMs: number = DEFAULT_RETRY_BUDGET_MS,
  ) {
    this.url = spec.url ?? redisUrl;
    try {
      this.template = compileKeyTemplate(spec.key);
    } catch (err) {
      throw Errors.config(`redis sink: key template '${spec.key}': ${(err as Error).message}`);
    }
    this.name = `redis:${spec.mode}:${spec.key}`;
    this.server = redisTarget(this.url);
    this.target = `${this.server}/${spec.key}`;
  }

  get isCluster(): boolean {
    return this.spec.redisOptions?.['cluster'] !== undefined;
  }

  /** The sink's client, created at the first write; ioredis connects and reconnects by itself. */
  connection(): Client {
    if (this.client !== undefined) return this.client;
    const { cluster, ...rest } = (this.spec.redisOptions ?? {}) as RedisOptions & {
      cluster?: ClusterOptions & { nodes: ClusterNode[] };
    };
    // Fail a command after one reconnection attempt: the sink's own retries wait with backoff.
    const base: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: (n: number) => Math.min(n * 200, 2000),
      commandTimeout: 30_000,
      ...rest,
    };
    let client: Client;
    if (cluster !== undefined) {
      const { nodes, ...clusterOptions } = cluster;
      client = new Cluster(nodes, { enableAutoPipelining: true, ...clusterOptions, redisOptions: base });
    } else {
      client = new Redis(this.url, base);
    }
    // Connection errors also reach the commands; without a listener ioredis would print each one.
    client.on('error', (err: Error) => {
      this.lastConnectionError = err;
    });
    client.on('ready', () => {
      this.lastConnectionError = undefined;
      this.connectedOnce = true;
    });
    client.defineCommand('krangeLatest', { numberOfKeys: 1, lua: LATEST_LUA });
    this.client = client;
    return client;
  }

  async open(ctx: TaskContext): Promise<SinkTaskWriter> {
    return new RedisTaskWriter(this, ctx);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    c?.disconnect();
  }
}

/** Sends the commands and returns [error, reply] per command, in order. */
async function send(client: Client, cluster: boolean, cmds: Cmd[]): Promise<[Error | null, unknown][]> {
  if (cluster) {
    const settle = (p: Promise<unknown>) =>
      p.then(
        (r): [Error | null, unknown] => [null, r],
        (e: unknown): [Error | null, unknown] => [e as Error, null],
      );
    return Promise.all(
      cmds.map((c) =>
        settle('latest' in c ? client.krangeLatest(...c.latest) : client.call(c.name, ...c.args)),
      ),
    );
  }
  const p = client.pipeline();
  for (const c of cmds) {
    if ('latest' in c) p.krangeLatest(...c.latest);
    else p.call(c.name, ...c.args);
  }
  return (await p.exec()) ?? [];
}

class RedisTaskWriter implements SinkTaskWriter {
  private pending: Op[] = [];
  private readonly started = performance.now();
  private rows = 0;
  private bytes = 0;
  private stale = 0;
  private readonly rowOf: (values: unknown[]) => Record<string, unknown>;

  constructor(
    private readonly sink: RedisSink,
    private readonly ctx: TaskContext,
  ) {
    this.rowOf = checkedObject(ctx.schema);
  }

  private op(r: SinkRow): Op {
    const { mode, ttlSeconds, valueField } = this.sink.spec;
    // The schema-checked values, not the transform's raw row: the schema binds this sink too.
    const row = this.rowOf(r.values);
    const key = renderKey(this.sink.template, row, r);
    if (mode === 'hset') {
      const { set, del } = hashFields(row);
      const cmds: Cmd[] = [];
      if (set.length > 0) cmds.push({ name: 'hset', args: [key, ...set] });
      if (del.length > 0) cmds.push({ name: 'hdel', args: [key, ...del] });
      if (ttlSeconds !== undefined && set.length > 0) cmds.push({ name: 'expire', args: [key, ttlSeconds] });
      const bytes = set.reduce((n, s) => n + Buffer.byteLength(s), Buffer.byteLength(key));
      return { row: r, key, cmds, bytes };
    }
    const value = redisValue(row, valueField);
    const bytes =
      Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
    if (mode === 'set') {
      const ttl = ttlSeconds === undefined ? [] : ['EX', ttlSeconds];
      return { row: r, key, bytes, cmds: [{ name: 'set', args: [key, value, ...ttl] }] };
    }
    const latest: [string, ...(string | Buffer)[]] = [
      key,
      value,
      r.topic,
      String(r.partition),
      r.offset.toString(),
      String(r.timestamp),
      ttlSeconds === undefined ? '' : String(ttlSeconds),
    ];
    return { row: r, key, bytes, cmds: [{ latest }] };
  }

  async write(batch: SinkRow[]): Promise<void> {
    for (const r of batch) {
      try {
        this.pending.push(this.op(r));
      } catch (err) {
        if (err instanceof MissingField) {
          this.ctx.reject(
            r,
            `${err.message}, needed by the redis sink (key '${this.sink.spec.key}')`,
            err.field,
          );
        } else this.ctx.reject(r, `cannot encode the row for redis: ${(err as Error).message}`);
        continue;
      }
      this.rows++;
      if (this.pending.length >= this.sink.spec.pipelineSize) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    const started = performance.now();
    const cmds = ops.flatMap((op) => op.cmds);
    const owner = ops.flatMap((op) => op.cmds.map(() => op));
    try {
      const rejected = new Set<Op>();
      await withRetries(() => this.roundTrip(cmds, owner, rejected), {
        budgetMs: this.sink.retryBudgetMs,
        maxRetries: this.sink.spec.retries,
        classify: transientWhen(isTransientRedisError, 'KRANGE_SINK'),
        onRetry: (err, attempt, delayMs) =>
          this.ctx.logger.warn(
            {
              event: LogEvents.sinkRetry,
              sink: this.sink.name,
              task: this.ctx.taskId,
              attempt,
              delayMs,
              rows: ops.length,
            },
            `redis write failed, retrying: ${err.message}`,
          ),
      });
    } catch (err) {
      throw this.failure(err, ops.length);
    }
    for (const op of ops) this.bytes += op.bytes;
    this.ctx.logger.debug({
      event: LogEvents.sinkFlushed,
      sink: this.sink.name,
      task: this.ctx.taskId,
      rows: ops.length,
      stale: this.stale,
      ms: Math.round(performance.now() - started),
    });
  }

  /**
   * One round trip. Refused rows go to the bad-record policy once per flush, however often a
   * transient error makes the flush retry; the first transient error is thrown (retry).
   */
  private async roundTrip(cmds: Cmd[], owner: Op[], rejected: Set<Op>): Promise<void> {
    const replies = await send(this.sink.connection(), this.sink.isCluster, cmds);
    const out = classifyReplies(replies, owner, (i) => 'latest' in cmds[i]!, rejected);
    for (const { owner: op, err } of out.rejected) {
      this.rows--;
      this.ctx.reject(op.row, `redis rejected key '${op.key}': ${err.message}`);
    }
    if (out.transient !== undefined) throw out.transient;
    this.stale += out.stale;
  }

  private failure(err: unknown, rows: number): KrangeError {
    const conn = this.sink.lastConnectionError;
    if (err instanceof RetriesExhausted && !this.sink.connectedOnce && conn !== undefined)
      return Errors.unreachable({
        service: 'Redis',
        address: this.sink.server,
        origin: addressOrigin('redis', this.sink.spec.url === undefined ? undefined : 'redis({ url })'),
        reason: conn.message,
        cause: conn,
      });
    return writeFailure(err, {
      sink: this.sink.name,
      target: this.sink.target,
      server: this.sink.server,
      unwritten: `${rows} row(s)`,
      urlVariable: 'KRANGE_REDIS_URL',
      where: { task: this.ctx.taskId, topic: this.ctx.topic, partition: this.ctx.partition },
      // ioredis reports "max retries per request" when the connection is gone: say why instead.
      reason: (e) => {
        const conn = this.sink.lastConnectionError;
        const why =
          e.last instanceof Error && e.last.name === 'MaxRetriesPerRequestError' && conn
            ? conn.message
            : e.message;
        return why.replace(/\.$/, '');
      },
    });
  }

  async commit(): Promise<SinkTaskStats> {
    await this.flush();
    return {
      rows: this.rows,
      bytes: this.bytes,
      durationMs: Math.round(performance.now() - this.started),
      files: [this.sink.target],
    };
  }

  async abort(): Promise<void> {
    // Rows already sent stay: every mode is idempotent, the redo writes the same values.
    this.pending = [];
  }
}
