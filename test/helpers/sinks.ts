// Drives a sink the way the task runner does (open -> write batches -> commit | abort), with rows
// checked against a schema exactly as the record processor checks them.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { Errors } from '../../src/errors.ts';
import { serviceEndpoints } from '../../src/job/endpoints.ts';
import type { Schema } from '../../src/job/schema.ts';
import { RowChecker } from '../../src/records/coerce.ts';
import type { Sink, SinkRow, SinkTaskStats, TaskContext } from '../../src/sinks/sink.ts';

export const endpoints = () => serviceEndpoints(process.env);

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export const quietLogger = pino({ level: process.env['KRANGE_LOG_LEVEL'] ?? 'silent' });

export interface RowInput {
  row: Record<string, unknown>;
  partition?: number;
  offset: bigint | number;
  timestamp?: number;
  seq?: number;
  topic?: string;
}

export function sinkRows(schema: Schema, inputs: RowInput[], topic = 'events'): SinkRow[] {
  const checker = new RowChecker(schema);
  return inputs.map((i) => ({
    row: i.row,
    values: checker.check(i.row),
    topic: i.topic ?? topic,
    partition: i.partition ?? 0,
    offset: BigInt(i.offset),
    timestamp: i.timestamp ?? 1_700_000_000_000 + Number(i.offset),
    seq: i.seq ?? 0,
  }));
}

export function taskContext(
  schema: Schema,
  rows: SinkRow[],
  attempt = 1,
  logger: Logger = quietLogger,
): TaskContext {
  const first = rows[0];
  const last = rows[rows.length - 1];
  const begin = first?.offset ?? 0n;
  const end = (last?.offset ?? 0n) + 1n;
  return {
    job: 'sink-test',
    iteration: 0,
    taskId: `t-${first?.partition ?? 0}-${begin}`,
    topic: first?.topic ?? 'events',
    partition: first?.partition ?? 0,
    begin,
    end,
    attempt,
    schema,
    logger,
    // As under onBadRecord: 'fail' (the default): a refused row fails the task, naming the record.
    reject: (r, reason, field) => {
      throw Errors.badRecord({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset.toString(),
        reason,
        ...(field === undefined ? {} : { field }),
      });
    },
  };
}

/** One task through a sink: open, write in batches of `batch` rows, commit (abort on failure). */
export async function runSinkTask(
  sink: Sink,
  schema: Schema,
  rows: SinkRow[],
  batch = 8192,
  attempt = 1,
  logger: Logger = quietLogger,
): Promise<SinkTaskStats> {
  const w = await sink.open(taskContext(schema, rows, attempt, logger));
  try {
    for (let i = 0; i < rows.length; i += batch) await w.write(rows.slice(i, i + batch));
    return await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** Stops or starts one local service through its script (scripts/services/<name>.sh). */
export function service(name: 'redis' | 'mongo', verb: 'start' | 'stop'): void {
  execFileSync('bash', [`scripts/services/${name}.sh`, verb], { stdio: 'pipe', timeout: 120_000 });
}
