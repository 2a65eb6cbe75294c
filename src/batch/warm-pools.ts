// The scheduler daemon's worker threads, kept warm between a job's iterations: one pool per job,
// started by its first iteration and reused by the next, so an iteration pays neither the threads'
// start (the job's import, the sinks' clients, the Parquet encoder's WebAssembly) nor new sink
// connections. A job's pool is started again when its key changes (the compiled module, whose name
// carries the job cache's content hash, or the thread count), when one of its threads died while
// idle, and after an iteration that failed or was aborted (its threads may still be busy with it).
// `krange run` uses none of this: its pool lives for its one iteration.

import type { Logger } from 'pino';
import { LogEvents } from '../log-events.ts';
import type { WorkerPool } from '../worker/worker-pool.ts';

interface Warm {
  key: string;
  pool: WorkerPool;
  generation: number;
}

/** What a warm pool is, for the log lines of the iterations it ran. */
export interface PoolInfo {
  /** Counts the pools started for the job in this process, from 1. */
  generation: number;
  threadIds: number[];
}

export class WarmPools {
  private readonly pools = new Map<string, Warm>();
  private readonly generations = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  /** The job's warm pool if its key is unchanged and every thread lives; else a new one from `start`. */
  async acquire(job: string, key: string, start: () => Promise<WorkerPool>): Promise<WorkerPool> {
    const warm = this.pools.get(job);
    if (warm !== undefined && warm.key === key && warm.pool.intact) return warm.pool;
    if (warm !== undefined)
      await this.discard(
        job,
        warm.key === key ? 'a worker thread died while idle' : 'the job module changed',
      );
    const started = performance.now();
    const pool = await start();
    const generation = (this.generations.get(job) ?? 0) + 1;
    this.generations.set(job, generation);
    this.pools.set(job, { key, pool, generation });
    this.logger.info(
      {
        event: LogEvents.poolStarted,
        job,
        generation,
        threadIds: pool.threadIds,
        startMs: Math.round(performance.now() - started),
      },
      `started ${pool.size} warm worker thread(s) for job '${job}' (pool ${generation})`,
    );
    return pool;
  }

  /** The job's pool now, if one is warm. */
  current(job: string): PoolInfo | undefined {
    const warm = this.pools.get(job);
    return warm === undefined ? undefined : { generation: warm.generation, threadIds: warm.pool.threadIds };
  }

  /** Closes the job's pool (its threads finish or are terminated); the next iteration starts another. */
  async discard(job: string, reason: string): Promise<void> {
    const warm = this.pools.get(job);
    if (warm === undefined) return;
    this.pools.delete(job);
    this.logger.info(
      { event: LogEvents.poolClosed, job, generation: warm.generation, reason },
      `closing the warm worker threads of job '${job}' (pool ${warm.generation}): ${reason}`,
    );
    await warm.pool.close();
  }

  /** Closes every pool (the daemon stops). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.keys()].map((job) => this.discard(job, 'the scheduler stops')));
  }
}
