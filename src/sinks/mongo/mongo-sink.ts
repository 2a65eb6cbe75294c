// MongoDB sink: per task, rows become documents keyed by `_id`, written `batchSize` at a time with
// unordered bulkWrite, so a replayed range overwrites what it wrote before instead of duplicating.
// Each batch is first inserted (insertOne ops: the fast path, and all there is on a first write);
// the documents that already exist (E11000, a replay) are then replaced with replaceOne + upsert.
// The result is the upsert contract (every `_id` ends holding its latest row, each replacement
// atomic) at insert speed on both servers. Upstream FerretDB 1.24 (SQLite) upserts at ~200/s, replaces
// at ~60/s and deadlocks when one update command matches 100 or more existing documents (our
// services build patches both, see scripts/services/ferretdb), so on FerretDB replaceOne commands
// carry at most 50 documents. commit() returns once every bulk write was acknowledged. One
// MongoClient per sink (so per worker thread), connected at the first write; the job's indexes are
// created once per client. Only commands MongoDB and FerretDB both support are used (no
// client.bulkWrite, no transactions).
//
// Errors: whole-command failures that a retry may fix (network, server selection, NotWritablePrimary,
// 11600-class shutdowns, 'interrupted', RetryableWriteError) are retried with exponential backoff up
// to `retries` times, then fail the task with KRANGE_SINK (retriable: the pool tries the task again).
// A document the server rejects (too large, invalid field name, a duplicate on a unique index the
// job declared) is left out and handed to TaskContext.reject, which applies the job's onBadRecord
// policy: 'fail' stops the task with KRANGE_BAD_RECORD naming topic, partition and offset (nothing
// is committed); 'skip' and 'deadLetter' count it (and dead-letter the row) and go on.

import { BSON, type Collection, MongoBulkWriteError, MongoClient, type WriteConcernSettings } from 'mongodb';
import { Errors, type KrangeError } from '../../errors.ts';
import { addressOrigin, redactUrl } from '../../job/endpoints.ts';
import type { MongoSinkSpec } from '../../job/job-spec.ts';
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
  documentBuilder,
  isTransientMongoError,
  isTransientWriteError,
  type MongoDoc,
  mongoTarget,
} from './mongo-docs.ts';

/** BSON's document limit on every MongoDB release and on FerretDB; the server's hello may say more. */
const DEFAULT_MAX_BSON = 16 * 1024 * 1024;

interface Connection {
  collection: Collection<MongoDoc>;
  maxBsonObjectSize: number;
  /** Most replaceOne statements per command (FerretDB deadlocks at 100 matched documents). */
  replaceBatch: number;
}

const FERRETDB_REPLACE_BATCH = 50;

interface Pending {
  doc: MongoDoc;
  bytes: number;
  row: SinkRow;
}

/** Some documents of a bulk write failed transiently; they stay queued for the next attempt. */
class PartialFailure extends Error {
  constructor(count: number, cause: unknown) {
    super(`${count} document(s) failed transiently: ${(cause as Error).message}`, { cause });
  }
}

/** The per-document errors of a bulk write, or undefined when the whole command failed. */
function writeErrorsOf(err: unknown): { index: number; code: number; message: string }[] | undefined {
  if (!(err instanceof MongoBulkWriteError)) return undefined;
  const list = Array.isArray(err.writeErrors) ? err.writeErrors : err.writeErrors ? [err.writeErrors] : [];
  if (list.length === 0) return undefined; // a write concern error: the whole command is retried
  return list.map((e) => ({ index: e.index, code: e.code, message: e.errmsg ?? '' }));
}

/** `mongodb://user@host:port`: the server part of a connection string, without password or options. */
function serverAddress(url: string): string {
  const safe = redactUrl(url);
  return /^[a-z+]+:\/\/[^/?#]*/.exec(safe)?.[0] ?? safe;
}

export class MongoSink implements Sink {
  readonly name: string;
  /** Where the documents go, for commit files: `mongodb://host:port/<db>.<collection>`. */
  readonly target: string;
  readonly url: string;
  private client: MongoClient | undefined;
  private conn: Promise<Connection> | undefined;
  /** Whether this worker ever reached the server: if not, a failure is reported as unreachable. */
  connectedOnce = false;

  constructor(
    readonly spec: MongoSinkSpec,
    /** The configured server (KRANGE_MONGO_URL), used when the spec names none. */
    mongoUrl: string,
    /** How long a failing write is retried (ms; the sink's `retries` caps the count within it). */
    readonly retryBudgetMs: number = DEFAULT_RETRY_BUDGET_MS,
  ) {
    this.url = spec.url ?? mongoUrl;
    this.name = `mongo:${spec.database}.${spec.collection}`;
    this.target = mongoTarget(this.url, spec.database, spec.collection);
  }

  async open(ctx: TaskContext): Promise<SinkTaskWriter> {
    return new MongoTaskWriter(this, ctx);
  }

  /** Connects and creates the indexes once; a failed attempt is forgotten so the next call retries. */
  connection(): Promise<Connection> {
    this.conn ??= this.connect().catch(async (err: unknown) => {
      this.conn = undefined;
      const c = this.client;
      this.client = undefined;
      await c?.close().catch(() => undefined);
      throw err;
    });
    return this.conn;
  }

  private async connect(): Promise<Connection> {
    // Fail fast while the server is down: our retry loop waits between attempts instead.
    const fast = /[?&]serverSelectionTimeoutMS=/i.test(this.url) ? {} : { serverSelectionTimeoutMS: 5000 };
    const client = new MongoClient(this.url, { appName: 'krange', ...fast });
    this.client = client;
    await client.connect();
    this.connectedOnce = true;
    const hello = await client.db('admin').command({ hello: 1 });
    const replicated = typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
    const w = this.spec.writeConcern ?? (replicated ? 'majority' : 1);
    const writeConcern: WriteConcernSettings = { w };
    const collection = client
      .db(this.spec.database)
      .collection<MongoDoc>(this.spec.collection, { writeConcern });
    if (this.spec.indexes.length > 0) await this.createIndexes(collection);
    const max = hello['maxBsonObjectSize'];
    const build = await client.db('admin').command({ buildInfo: 1 });
    return {
      collection,
      maxBsonObjectSize: typeof max === 'number' ? max : DEFAULT_MAX_BSON,
      replaceBatch: 'ferretdbVersion' in build ? FERRETDB_REPLACE_BATCH : Number.MAX_SAFE_INTEGER,
    };
  }

  private async createIndexes(collection: Collection<MongoDoc>): Promise<void> {
    try {
      await collection.createIndexes(
        this.spec.indexes.map((ix) => ({
          key: ix.keys,
          ...(ix.unique === undefined ? {} : { unique: ix.unique }),
          ...(ix.name === undefined ? {} : { name: ix.name }),
        })),
      );
    } catch (err) {
      if (isTransientMongoError(err)) throw err;
      throw Errors.sink(
        this.name,
        `cannot create the job's indexes on ${this.target}: ${(err as Error).message}. ` +
          'An index of the same name with other keys or options, or duplicates under a unique index, must be fixed in the database or the job',
        {},
        err,
        false,
      );
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.conn = undefined;
    await c?.close();
  }
}

class MongoTaskWriter implements SinkTaskWriter {
  /** Documents not yet written, by `_id`: a later row with the same `_id` replaces an earlier one. */
  private readonly pending = new Map<string, Pending>();
  private readonly build: (r: SinkRow) => MongoDoc;
  private readonly started = performance.now();
  private maxBson = DEFAULT_MAX_BSON;
  private rows = 0;
  private bytes = 0;

  constructor(
    private readonly sink: MongoSink,
    private readonly ctx: TaskContext,
  ) {
    this.build = documentBuilder(ctx.schema, sink.spec.id);
  }

  async write(batch: SinkRow[]): Promise<void> {
    for (const r of batch) {
      let doc: MongoDoc;
      try {
        doc = this.build(r);
      } catch (err) {
        this.ctx.reject(r, `cannot build the Mongo document: ${(err as Error).message}`);
        continue;
      }
      const bytes = BSON.calculateObjectSize(doc);
      if (bytes > this.maxBson) {
        this.ctx.reject(
          r,
          `the Mongo document is ${bytes} bytes, over the server's limit of ${this.maxBson} bytes`,
        );
        continue;
      }
      this.pending.set(`${typeof doc._id}:${doc._id}`, { doc, bytes, row: r });
      this.rows++;
      if (this.pending.size >= this.sink.spec.batchSize) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    const started = performance.now();
    // What is left to do; each attempt moves documents out as the server acknowledges them.
    const todo = { insert: batch, replace: [] as Pending[] };
    try {
      await withRetries(
        async () => {
          const conn = await this.sink.connection();
          this.maxBson = conn.maxBsonObjectSize;
          await this.insert(conn, todo);
          await this.replace(conn, todo);
        },
        {
          budgetMs: this.sink.retryBudgetMs,
          maxRetries: this.sink.spec.retries,
          classify: transientWhen(
            (err) => err instanceof PartialFailure || isTransientMongoError(err),
            'KRANGE_SINK',
          ),
          onRetry: (err, attempt, delayMs) =>
            this.ctx.logger.warn(
              {
                event: LogEvents.sinkRetry,
                sink: this.sink.name,
                task: this.ctx.taskId,
                attempt,
                delayMs,
                documents: todo.insert.length + todo.replace.length,
              },
              `mongo write failed, retrying: ${err.message}`,
            ),
        },
      );
    } catch (err) {
      throw this.failure(err, todo.insert.length + todo.replace.length);
    }
    for (const p of batch) this.bytes += p.bytes;
    this.ctx.logger.debug({
      event: LogEvents.sinkFlushed,
      sink: this.sink.name,
      task: this.ctx.taskId,
      documents: batch.length,
      ms: Math.round(performance.now() - started),
    });
  }

  /** The server refused one document: the job's onBadRecord policy decides (see TaskContext.reject). */
  private rejected(p: Pending, e: { code: number; message: string }): void {
    this.rows--;
    this.ctx.reject(
      p.row,
      `MongoDB rejected document _id ${JSON.stringify(p.doc._id)}: ${e.message} (code ${e.code})`,
    );
  }

  /** Inserts todo.insert; documents that exist already move to todo.replace. */
  private async insert(conn: Connection, todo: { insert: Pending[]; replace: Pending[] }): Promise<void> {
    if (todo.insert.length === 0) return;
    const docs = todo.insert;
    try {
      await conn.collection.bulkWrite(
        docs.map((p) => ({ insertOne: { document: p.doc } })),
        { ordered: false },
      );
      todo.insert = [];
      return;
    } catch (err) {
      const errors = writeErrorsOf(err);
      if (errors === undefined) throw err;
      const retry: Pending[] = [];
      for (const e of errors) {
        const p = docs[e.index];
        if (p === undefined) continue;
        // A duplicate on any unique index: the replace below tells a replay from a real conflict.
        if (e.code === 11000) todo.replace.push(p);
        else if (isTransientWriteError(e.code, e.message)) retry.push(p);
        else this.rejected(p, e);
      }
      todo.insert = retry;
      if (retry.length > 0) throw new PartialFailure(retry.length, err);
    }
  }

  /** Replaces (upserts) todo.replace, in commands the server can take. */
  private async replace(conn: Connection, todo: { insert: Pending[]; replace: Pending[] }): Promise<void> {
    const retry: Pending[] = [];
    let cause: unknown;
    while (todo.replace.length > 0) {
      const docs = todo.replace.slice(0, conn.replaceBatch);
      try {
        await conn.collection.bulkWrite(
          docs.map((p) => ({ replaceOne: { filter: { _id: p.doc._id }, replacement: p.doc, upsert: true } })),
          { ordered: false },
        );
      } catch (err) {
        const errors = writeErrorsOf(err);
        if (errors === undefined) {
          todo.replace.push(...retry);
          throw err;
        }
        for (const e of errors) {
          const p = docs[e.index];
          if (p === undefined) continue;
          if (!isTransientWriteError(e.code, e.message)) {
            this.rejected(p, e);
            continue;
          }
          retry.push(p);
          cause = err;
        }
      }
      todo.replace = todo.replace.slice(docs.length);
    }
    todo.replace = retry;
    if (retry.length > 0) throw new PartialFailure(retry.length, cause);
  }

  private failure(err: unknown, documents: number): KrangeError {
    if (err instanceof RetriesExhausted && !this.sink.connectedOnce)
      return Errors.unreachable({
        service: 'MongoDB',
        address: serverAddress(this.sink.url),
        origin: addressOrigin('mongo', this.sink.spec.url === undefined ? undefined : 'mongo({ url })'),
        reason: (err.last as Error).message,
        cause: err.last,
      });
    return writeFailure(err, {
      sink: this.sink.name,
      target: this.sink.target,
      server: this.sink.target,
      unwritten: `${documents} document(s)`,
      urlVariable: 'KRANGE_MONGO_URL',
      where: { task: this.ctx.taskId, topic: this.ctx.topic, partition: this.ctx.partition },
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
    // Documents already written stay: they are upserts, the redo overwrites them.
    this.pending.clear();
  }
}
