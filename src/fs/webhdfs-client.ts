// A small typed WebHDFS client over node:http. CREATE is done in the two documented steps (the
// NameNode answers with the DataNode's address, then the body goes there), because Node's fetch
// cannot follow a 307 with a streaming body. Errors carry the RemoteException's class and message.
// Every NameNode request is idempotent here (CREATE with overwrite, rename2 with OVERWRITE, DELETE,
// MKDIRS, reads) and is retried through retry.ts within a time budget, so a NameNode restart or an
// HA failover (connection refused, SafeModeException, StandbyException) is waited out.

import http from 'node:http';
import type { Readable } from 'node:stream';
import { Errors, KrangeError, toKrangeError } from '../errors.ts';
import { addressOrigin, redactUrl } from '../job/endpoints.ts';
import { type Clock, DEFAULT_RETRY_BUDGET_MS, RetriesExhausted, withRetries } from '../retry.ts';

export interface WebHdfsOptions {
  /** NameNode HTTP address, e.g. http://127.0.0.1:19870 */
  url: string;
  user: string;
  /** Per request, ms (a streaming upload is allowed this long between chunks). */
  timeoutMs?: number;
  /** How long a NameNode request is retried on retriable failures (ms); default 120 s. */
  retryBudgetMs?: number;
  /** Tests only: a fake clock for the retry waits. */
  clock?: Clock;
  /** Called before each wait, for the log. */
  onRetry?: (err: KrangeError, attempt: number, delayMs: number) => void;
  /** What set `url` (e.g. `set by KRANGE_WEBHDFS_URL`), named when the NameNode cannot be reached. */
  origin?: string;
}

export interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  modificationTime: number;
  replication: number;
  permission: string;
}

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Errors that mean the NameNode was not reached at all (a wrong address, a server that is down). */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export class WebHdfsClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly retryBudgetMs: number;

  constructor(readonly opts: WebHdfsOptions) {
    this.base = new URL(opts.url);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.retryBudgetMs = opts.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  }

  private url(path: string, op: string, params: Record<string, string> = {}): URL {
    if (!path.startsWith('/'))
      throw Errors.hdfs(`HDFS path must be absolute: '${path}'`, { path }, undefined, false);
    const u = new URL(`/webhdfs/v1${encodeURI(path)}`, this.base);
    u.searchParams.set('op', op);
    u.searchParams.set('user.name', this.opts.user);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u;
  }

  private send(
    method: string,
    url: URL,
    body?: Buffer | Readable,
    timeoutMs = this.timeoutMs,
  ): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (Buffer.isBuffer(body)) {
        headers['content-length'] = body.length;
        headers['content-type'] = 'application/octet-stream';
      } else if (body !== undefined) {
        headers['transfer-encoding'] = 'chunked';
        headers['content-type'] = 'application/octet-stream';
      }
      const req = http.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Errors.timeout(`WebHDFS ${method} ${url.pathname}`, timeoutMs)));
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  /** Sends an idempotent request, retrying retriable failures (outage, 5xx, safe mode) within the budget. */
  private async call(method: string, url: URL, path: string): Promise<HttpResult> {
    try {
      return await withRetries(
        async () => {
          const res = await this.send(method, url);
          if (res.status >= 400) throw this.remoteError(res, method, path);
          return res;
        },
        {
          budgetMs: this.retryBudgetMs,
          classify: (err) => this.failure(err, method, path),
          ...(this.opts.clock === undefined ? {} : { clock: this.opts.clock }),
          ...(this.opts.onRetry === undefined ? {} : { onRetry: this.opts.onRetry }),
        },
      );
    } catch (err) {
      if (!(err instanceof RetriesExhausted)) throw this.failure(err, method, path);
      const still = `still failing after ${err.attempts} attempts in ${(err.elapsedMs / 1000).toFixed(1)} s`;
      if (CONNECT_FAILURES.has((err.last as NodeJS.ErrnoException).code ?? '')) {
        const e = Errors.unreachable({
          service: 'WebHDFS',
          address: redactUrl(this.opts.url),
          origin: this.opts.origin ?? addressOrigin('webhdfs'),
          reason: `${(err.last as Error).message} (${still}; a longer outage needs a larger retry.budgetMs or KRANGE_RETRY_BUDGET_MS)`,
          cause: err.last,
        });
        Object.assign(e.details, { path, attempts: err.attempts });
        throw e;
      }
      throw Errors.hdfs(
        `${err.error.message} (still failing after ${err.attempts} attempts in ${(err.elapsedMs / 1000).toFixed(1)} s; ` +
          `check the NameNode at ${this.base.host} (KRANGE_WEBHDFS_URL or the webhdfs:// path), ` +
          'or give an outage longer than that a larger retry.budgetMs or KRANGE_RETRY_BUDGET_MS)',
        { ...err.error.details, path, attempts: err.attempts },
        err.last,
        true,
      );
    }
  }

  /** A failed request as a KRANGE_HDFS error: a network outage is retriable, a refusal keeps its flag. */
  private failure(err: unknown, method: string, path: string): KrangeError {
    if (err instanceof KrangeError) return err;
    return Errors.hdfs(
      `WebHDFS ${method} ${path} failed: ${(err as Error).message}`,
      { path },
      err,
      toKrangeError(err).retriable,
    );
  }

  private remoteError(res: HttpResult, method: string, path: string): KrangeError {
    let cls = `HTTP ${res.status}`;
    let msg = res.body.toString('utf8').slice(0, 500);
    try {
      const j = JSON.parse(msg) as {
        RemoteException?: { javaClassName?: string; exception?: string; message?: string };
      };
      if (j.RemoteException) {
        cls = j.RemoteException.javaClassName ?? j.RemoteException.exception ?? cls;
        msg = j.RemoteException.message ?? msg;
      }
    } catch {
      // not JSON: keep the raw text
    }
    const retriable = res.status >= 500 || /SafeModeException|RetriableException|StandbyException/.test(cls);
    const err = Errors.hdfs(
      `WebHDFS ${method} ${path}: ${cls}: ${msg}`,
      { path, status: res.status, remoteClass: cls },
      undefined,
      retriable,
    );
    return err;
  }

  private json<T>(res: HttpResult): T {
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  private checkBoolean(res: HttpResult, what: string, path: string): void {
    if (!this.json<{ boolean: boolean }>(res).boolean) {
      throw Errors.hdfs(`WebHDFS ${what} ${path} returned false`, { path }, undefined, false);
    }
  }

  /** Creates (or with overwrite replaces) a file from a buffer or a byte stream. */
  async create(path: string, body: Buffer | Readable, opts: { overwrite?: boolean } = {}): Promise<void> {
    const step1 = await this.call(
      'PUT',
      this.url(path, 'CREATE', { overwrite: String(opts.overwrite ?? true), noredirect: 'true' }),
      path,
    );
    const location = step1.headers.location ?? this.json<{ Location: string }>(step1).Location;
    if (!location) throw Errors.hdfs(`WebHDFS CREATE ${path}: the NameNode named no DataNode`, { path });
    let res: HttpResult;
    try {
      res = await this.send('PUT', new URL(location), body);
    } catch (err) {
      throw Errors.hdfs(
        `WebHDFS CREATE ${path}: upload to DataNode failed: ${(err as Error).message}`,
        { path },
        err,
        true,
      );
    }
    if (res.status >= 400) throw this.remoteError(res, 'CREATE', path);
  }

  /** Opens a file for streaming reads (follows the DataNode redirect). */
  async open(path: string): Promise<Readable> {
    const step1 = await this.call('GET', this.url(path, 'OPEN', { noredirect: 'true' }), path);
    const location = this.json<{ Location: string }>(step1).Location;
    return new Promise((resolve, reject) => {
      http
        .get(new URL(location), { agent }, (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              reject(
                this.remoteError(
                  { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) },
                  'OPEN',
                  path,
                ),
              ),
            );
            return;
          }
          resolve(res);
        })
        .on('error', (err) =>
          reject(Errors.hdfs(`WebHDFS OPEN ${path}: ${err.message}`, { path }, err, true)),
        );
    });
  }

  async readFile(path: string): Promise<Buffer> {
    const stream = await this.open(path);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async mkdirs(path: string): Promise<void> {
    this.checkBoolean(await this.call('PUT', this.url(path, 'MKDIRS'), path), 'MKDIRS', path);
  }

  /** Renames; with overwrite an existing destination file is replaced atomically (rename2). */
  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    const params: Record<string, string> = { destination: to };
    if (opts.overwrite) params['renameoptions'] = 'OVERWRITE';
    const res = await this.call('PUT', this.url(from, 'RENAME', params), from);
    if (!opts.overwrite) this.checkBoolean(res, 'RENAME', `${from} -> ${to}`);
  }

  /**
   * Renames unless the destination exists (HDFS rename without OVERWRITE): false when the NameNode
   * refused it (the destination exists, or the source is gone). Atomic at the NameNode.
   */
  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    const res = await this.call('PUT', this.url(from, 'RENAME', { destination: to }), from);
    return this.json<{ boolean: boolean }>(res).boolean;
  }

  /** Deletes; returns false when nothing was there. */
  async delete(path: string, opts: { recursive?: boolean } = {}): Promise<boolean> {
    const res = await this.call(
      'DELETE',
      this.url(path, 'DELETE', { recursive: String(opts.recursive ?? false) }),
      path,
    );
    return this.json<{ boolean: boolean }>(res).boolean;
  }

  async listStatus(path: string): Promise<FileStatus[]> {
    const res = await this.call('GET', this.url(path, 'LISTSTATUS'), path);
    return this.json<{ FileStatuses: { FileStatus: FileStatus[] } }>(res).FileStatuses.FileStatus;
  }

  /** The file's status, or undefined when it does not exist. */
  async getFileStatus(path: string): Promise<FileStatus | undefined> {
    try {
      const res = await this.call('GET', this.url(path, 'GETFILESTATUS'), path);
      return this.json<{ FileStatus: FileStatus }>(res).FileStatus;
    } catch (err) {
      if (err instanceof KrangeError && err.details['status'] === 404) return undefined;
      throw err;
    }
  }
}
