// One task's side of the PostgreSQL sink: BEGIN at open, the markers overlapping the task's range
// read once (rows of covered records are dropped), rows COPYed batch by batch, then at commit the
// partition's advisory lock, a second read of the markers (another attempt may have loaded part of
// the range meanwhile: then nothing is committed and the retry sees its marker), the marker row
// and COMMIT. A COMMIT whose answer is lost is safe: the retry finds the marker or loads again.

import type { PoolClient } from 'pg';
import { Errors, KrangeError } from '../../errors.ts';
import type { PostgresSinkSpec } from '../../job/job-spec.ts';
import { LogEvents } from '../../log-events.ts';
import type { CoveredRanges } from '../covered-ranges.ts';
import type { SinkRow, SinkTaskStats, SinkTaskWriter, TaskContext } from '../sink.ts';
import { copyLineEncoder } from './pg-copy-text.ts';
import { describePgError, isTransientPgError, refusedColumn } from './pg-errors.ts';
import { type LoadRow, type LoadStatements, loadRows, loadStatements } from './pg-load.ts';
import { coveredRanges, insertMarker, lockPartition, type MarkerKey } from './pg-markers.ts';
import type { ExistingColumn } from './pg-table.ts';

/** What a task writer needs of its PostgresSink. */
export interface PgSinkInfo {
  readonly spec: PostgresSinkSpec;
  readonly name: string;
  /** `schema.table`, quoted. */
  readonly table: string;
  readonly target: string;
  readonly server: string;
}

/** The first varchar(n)/char(n) column whose value is longer than n: PostgreSQL's 22001 does not say. */
function tooLongColumn(r: SinkRow, columns: ExistingColumn[]): string | undefined {
  for (const c of columns) {
    const m = /^character(?: varying)?\((\d+)\)$/.exec(c.type);
    const v = r.row[c.name];
    if (m && typeof v === 'string' && [...v].length > Number(m[1])) return c.name;
  }
  return undefined;
}

export class PostgresTaskWriter implements SinkTaskWriter {
  private pending: LoadRow[] = [];
  private readonly started = performance.now();
  private readonly encode: (values: unknown[]) => string;
  private readonly key: MarkerKey;
  private rows = 0;
  private bytes = 0;
  private skipped = 0;
  private done = false;

  private constructor(
    private readonly sink: PgSinkInfo,
    private readonly ctx: TaskContext,
    private readonly client: PoolClient,
    private readonly columns: ExistingColumn[],
    private readonly statements: LoadStatements,
    private readonly covered: CoveredRanges,
  ) {
    this.encode = copyLineEncoder(Object.values(ctx.schema));
    this.key = {
      job: ctx.job,
      target: `${sink.spec.schema}.${sink.spec.table}`,
      topic: ctx.topic,
      partition: ctx.partition,
    };
  }

  static async begin(
    sink: PgSinkInfo,
    ctx: TaskContext,
    client: PoolClient,
    columns: ExistingColumn[],
  ): Promise<PostgresTaskWriter> {
    const byName = new Map(columns.map((c) => [c.name, c.type]));
    const fields = Object.keys(ctx.schema).map((name) => ({ name, type: byName.get(name) ?? 'text' }));
    const statements = loadStatements(
      sink.table,
      fields,
      sink.spec.mode === 'upsert' ? sink.spec.key : undefined,
    );
    const key = {
      job: ctx.job,
      target: `${sink.spec.schema}.${sink.spec.table}`,
      topic: ctx.topic,
      partition: ctx.partition,
    };
    await client.query('BEGIN');
    const covered = await coveredRanges(client, sink.spec.schema, key, ctx.begin, ctx.end);
    if (statements.createStaging) await client.query(statements.createStaging);
    if (!covered.isEmpty)
      ctx.logger.info(
        { sink: sink.name, task: ctx.taskId, loaded: covered.toString() },
        `postgres: offsets ${covered.toString()} of ${ctx.topic}[${ctx.partition}] are already loaded; their rows are skipped`,
      );
    return new PostgresTaskWriter(sink, ctx, client, columns, statements, covered);
  }

  async write(batch: SinkRow[]): Promise<void> {
    for (const r of batch) {
      if (!this.covered.isEmpty && this.covered.covers(r.offset)) {
        this.skipped++;
        continue;
      }
      this.pending.push({ row: r, line: this.encode(r.values) });
    }
    if (this.pending.length >= this.sink.spec.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const started = performance.now();
    let refused = 0;
    try {
      await loadRows(this.client, this.statements, batch, (r, err) => {
        refused++;
        const column =
          refusedColumn(err) ??
          ((err as { code?: string }).code === '22001' ? tooLongColumn(r.row, this.columns) : undefined);
        this.ctx.reject(
          r.row,
          `PostgreSQL refused the row for ${this.sink.table}${column ? ` (column '${column}')` : ''}: ${describePgError(err)}`,
          column,
        );
      });
    } catch (err) {
      throw this.failure(err, batch.length);
    }
    for (const r of batch) this.bytes += r.line.length;
    this.rows += batch.length - refused;
    this.ctx.logger.debug({
      event: LogEvents.sinkFlushed,
      sink: this.sink.name,
      task: this.ctx.taskId,
      rows: batch.length - refused,
      ms: Math.round(performance.now() - started),
    });
  }

  private failure(err: unknown, rows: number): KrangeError {
    if (err instanceof KrangeError) return err;
    const where = { task: this.ctx.taskId, topic: this.ctx.topic, partition: this.ctx.partition };
    if (isTransientPgError(err))
      return Errors.sink(
        this.sink.name,
        `lost ${this.sink.server} while loading task ${this.ctx.taskId} (${rows} row(s) pending): ${describePgError(err)}. ` +
          'Nothing of the task was committed; it is tried again. Check that the server is up (url, KRANGE_PG_URL)',
        where,
        err,
        true,
      );
    return Errors.sink(
      this.sink.name,
      `loading ${this.sink.table} at ${this.sink.server} failed: ${describePgError(err)}`,
      where,
      err,
      false,
    );
  }

  async commit(): Promise<SinkTaskStats> {
    try {
      await this.flush();
      if (this.ctx.end > this.ctx.begin && this.covered.coversAll(this.ctx.begin, this.ctx.end)) {
        await this.client.query('ROLLBACK');
      } else {
        await lockPartition(this.client, this.key);
        const now = await coveredRanges(
          this.client,
          this.sink.spec.schema,
          this.key,
          this.ctx.begin,
          this.ctx.end,
        );
        if (now.toString() !== this.covered.toString()) {
          throw new KrangeError(
            'KRANGE_SINK',
            `${this.sink.name} sink: offsets ${now.toString()} of ${this.ctx.topic}[${this.ctx.partition}] were loaded by another attempt while task ${this.ctx.taskId} ran; nothing of this attempt is kept, the retry skips them`,
            { retriable: true, details: { sink: this.sink.name, task: this.ctx.taskId } },
          );
        }
        await insertMarker(this.client, this.sink.spec.schema, {
          ...this.key,
          begin: this.ctx.begin,
          end: this.ctx.end,
          iteration: this.ctx.iteration,
          task: this.ctx.taskId,
          rows: this.rows,
        });
        await this.client.query('COMMIT');
      }
    } catch (err) {
      await this.abort();
      throw this.failure(err, this.rows);
    }
    this.release();
    if (this.skipped > 0)
      this.ctx.logger.info(
        { sink: this.sink.name, task: this.ctx.taskId, skipped: this.skipped },
        `postgres: ${this.skipped} row(s) of already loaded offsets skipped`,
      );
    return {
      rows: this.rows,
      bytes: this.bytes,
      durationMs: Math.round(performance.now() - this.started),
      files: [this.sink.target],
    };
  }

  private release(err?: Error): void {
    if (this.done) return;
    this.done = true;
    this.client.release(err);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.pending = [];
    try {
      await this.client.query('ROLLBACK');
      this.release();
    } catch (err) {
      // The connection is broken: drop it from the pool instead of reusing it.
      this.release(err as Error);
    }
  }
}
