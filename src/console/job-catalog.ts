// The jobs the console shows: every job module in the jobs directory (loaded and validated once;
// one that fails to load is shown with its error) and every job that only has a state directory.
// Names from state directories are user data like any other: the pages escape them.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type LoadedJob, listJobFiles, loadJob } from '../job/job-loader.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { defaultStateLocation, isLocalLocation } from '../state/state-location.ts';

export interface CatalogEntry {
  name: string;
  job?: LoadedJob;
  /** Why the job module could not be loaded. */
  loadError?: string;
}

export class JobCatalog {
  private byFile = new Map<string, { job?: LoadedJob; error?: string }>();
  private loadedAt = 0;

  constructor(
    readonly stateRoot: string = defaultStateLocation(),
    private readonly logger?: Logger,
  ) {}

  /** Loads job modules not seen yet (a module is imported once per process). */
  async refresh(maxAgeMs = 5000): Promise<void> {
    if (Date.now() - this.loadedAt < maxAgeMs) return;
    this.loadedAt = Date.now();
    for (const file of listJobFiles()) {
      if (this.byFile.has(file)) continue;
      try {
        this.byFile.set(file, { job: await loadJob(file) });
      } catch (err) {
        this.logger?.warn({ file, err: (err as Error).message }, 'job module does not load');
        this.byFile.set(file, { error: (err as Error).message });
      }
    }
  }

  private stateJobs(): string[] {
    // Jobs known only from a remote store's folders are not listed (the job modules are).
    if (!isLocalLocation(this.stateRoot) || !existsSync(this.stateRoot)) return [];
    return readdirSync(this.stateRoot).filter((d) => {
      try {
        return statSync(join(this.stateRoot, d)).isDirectory() && !d.startsWith('.');
      } catch {
        return false;
      }
    });
  }

  entries(): CatalogEntry[] {
    const out = new Map<string, CatalogEntry>();
    for (const [file, e] of this.byFile) {
      if (e.job !== undefined) out.set(e.job.spec.name, { name: e.job.spec.name, job: e.job });
      else {
        const name = file.replace(/^.*\//, '').replace(/\.[a-z]+$/, '');
        out.set(name, { name, loadError: e.error ?? 'does not load' });
      }
    }
    for (const name of this.stateJobs()) if (!out.has(name)) out.set(name, { name });
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): CatalogEntry | undefined {
    return this.entries().find((e) => e.name === name);
  }

  spec(name: string): JobSpec | undefined {
    return this.get(name)?.job?.spec;
  }
}
