// The worker side of the pool: loads the job module itself (its transform cannot cross threads),
// keeps one range reader, one record processor and the job's sinks for its lifetime, and runs the
// tasks the driver sends, one at a time. Started by worker-entry.ts (compiled, in dist/).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { serializeError, toKrangeError } from '../errors.ts';
import type { LoadedJob } from '../job/job-loader.ts';
import { jobBrokers, jobKafka } from '../kafka/kafka-client.ts';
import { FetchRangeReader } from '../kafka/range-reader.ts';
import { createLogger } from '../logger.ts';
import { rangeFromJson } from '../offset-range.ts';
import { RecordProcessor } from '../records/record-processor.ts';
import { deadLetterTarget } from '../sinks/dead-letter.ts';
import { columnarDisabled, columnarRefusal } from '../sinks/parquet/columnar-plan.ts';
import { ParquetSink } from '../sinks/parquet/parquet-sink.ts';
import { createSinks } from '../sinks/sink-factory.ts';
import { removeColumnarScratch, runColumnarTask } from './columnar-task.ts';
import type { DriverMessage, TaskResult, WorkerInit, WorkerMessage } from './messages.ts';
import { fenceCheck } from './task-fence.ts';
import { runTask, type TaskRun } from './task-runner.ts';

/** Runs this worker thread's side of the pool for the job `load` returns. */
export function runWorker(load: (init: WorkerInit) => Promise<LoadedJob> | LoadedJob): void {
  if (parentPort === null) throw new Error('worker.ts runs only as a worker thread');
  const port: MessagePort = parentPort;
  const init = workerData as WorkerInit;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  main(port, init, post, load).catch((err: unknown) =>
    post({ type: 'init-failed', error: serializeError(err) }),
  );
}

async function main(
  port: MessagePort,
  init: WorkerInit,
  post: (m: WorkerMessage) => void,
  load: (init: WorkerInit) => Promise<LoadedJob> | LoadedJob,
): Promise<void> {
  const logger = createLogger(`worker-${init.workerIndex}`).child({ worker: init.workerIndex });
  const job = await load(init);
  const { spec, endpoints } = job;
  const reader = new FetchRangeReader({
    brokers: jobBrokers(spec, endpoints),
    clientId: spec.kafka.clientId ?? `krange-${spec.name}-w${init.workerIndex}`,
    isolation: spec.kafka.isolation,
    fetchMaxBytes: spec.limits.fetchMaxBytes,
  });
  const processor = new RecordProcessor(spec);
  const sinks = await createSinks(spec.sinks, endpoints, spec.kafka.brokers);
  const deadLetter = deadLetterTarget(
    spec.onBadRecord,
    () => jobKafka(job, logger),
    jobBrokers(spec, endpoints),
    endpoints,
  );
  const controllers = new Map<string, AbortController>();
  // The columnar path (DuckDB) for a declarative job with one Parquet sink; a task it declines, and
  // every task of other jobs, runs on the JavaScript path.
  const only = sinks[0];
  const columnar =
    columnarRefusal(spec) === undefined && !columnarDisabled() && only instanceof ParquetSink
      ? only
      : undefined;
  const run = async (task: TaskRun): Promise<TaskResult> => {
    if (columnar !== undefined) {
      const done = await runColumnarTask(task, columnar).catch((err: unknown) => {
        throw toKrangeError(err, 'KRANGE_TASK_FAILED');
      });
      if (done !== undefined) return done;
    }
    return runTask(task);
  };

  port.on('message', (msg: DriverMessage) => {
    if (msg.type === 'shutdown') {
      void (async () => {
        await reader.close();
        await Promise.allSettled(sinks.map((s) => s.close()));
        await deadLetter?.close().catch(() => undefined);
        removeColumnarScratch();
        process.exit(0);
      })();
      return;
    }
    if (msg.type === 'cancel') {
      controllers.get(msg.taskId)?.abort();
      return;
    }
    const ac = new AbortController();
    controllers.set(msg.taskId, ac);
    let lastProgress = 0;
    run({
      job: spec,
      iteration: msg.iteration,
      taskId: msg.taskId,
      range: rangeFromJson(msg.range),
      attempt: msg.attempt,
      reader,
      processor,
      sinks,
      deadLetter,
      logger,
      signal: ac.signal,
      fence: fenceCheck(spec.name, msg.fence, logger, endpoints),
      onProgress: (records) => {
        const now = Date.now();
        if (now - lastProgress >= 200) {
          lastProgress = now;
          post({ type: 'progress', taskId: msg.taskId, records });
        }
      },
    })
      .then((result) => post({ type: 'done', taskId: msg.taskId, result }))
      .catch((err: unknown) => post({ type: 'failed', taskId: msg.taskId, error: serializeError(err) }))
      .finally(() => controllers.delete(msg.taskId));
  });
  post({ type: 'ready' });
}
