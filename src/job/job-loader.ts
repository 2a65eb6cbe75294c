// Finds a job module by name (jobs/<name>.ts) or path, imports it and validates its spec.
// Runs in the driver and again in every worker thread (the transform cannot cross threads).

import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Errors } from '../errors.ts';
import { LogEvents } from '../log-events.ts';
import { createLogger } from '../logger.ts';
import { type ServiceEndpoints, serviceEndpoints } from './endpoints.ts';
import { compiledJobModule } from './job-cache.ts';
import { checkJobAgainstSchema } from './job-checks.ts';
import { type JobSpec, jobSpecSchema } from './job-spec.ts';
import { describeIssues } from './options/config-issues.ts';
import type { Schema } from './schema.ts';
import { isSchemaSource, type ResolvedSchema, type SchemaOrigin } from './schema-source.ts';

export interface LoadedJob {
  spec: JobSpec;
  /** Absolute path of the module, so workers can import the same file. */
  modulePath: string;
  /**
   * A TypeScript job in compiled krange: the cached compiled module the driver imported, or false
   * when it went through tsx. Workers import the same (their init message carries it).
   */
  compiled?: string | false;
  /** Where the services are, resolved once when the job was loaded (the edge) and passed down. */
  endpoints: ServiceEndpoints;
  /** Set when the schema was derived (`fromRegistry`, `fromAvroSchema`): where it came from. */
  schemaOrigin?: SchemaOrigin;
}

export function jobsDir(): string {
  return resolve(process.env['KRANGE_JOBS_DIR'] ?? 'jobs');
}

export function resolveJobPath(nameOrPath: string): string {
  const candidates = [];
  if (nameOrPath.includes('/') || /\.(ts|mts|js|mjs)$/.test(nameOrPath)) {
    candidates.push(isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath));
  } else {
    for (const ext of ['.ts', '.mts', '.js', '.mjs']) candidates.push(join(jobsDir(), nameOrPath + ext));
  }
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw Errors.jobNotFound(nameOrPath, candidates.join(', '));
  return found;
}

export function listJobFiles(): string[] {
  const dir = jobsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .sort();
}

export function validateJob(raw: unknown, where: string): JobSpec {
  if (isSchemaSource((raw as { schema?: unknown } | null)?.schema)) {
    throw Errors.config(
      `invalid job in ${where}: schema: ${(raw as { schema: { label: string } }).schema.label} is resolved when the job is loaded (loadJob), not by validateJob`,
      { file: where },
    );
  }
  const parsed = jobSpecSchema.safeParse(raw);
  const problems = parsed.success ? checkJobAgainstSchema(parsed.data) : describeIssues(parsed.error.issues);
  if (!parsed.success || problems.length > 0) {
    const issues = problems.map((line) => `  - ${line}`).join('\n');
    throw Errors.config(`invalid job in ${where}:\n${issues}`, { file: where });
  }
  return parsed.data;
}

/** True when this module runs compiled (dist/*.js), false from the TypeScript sources (vitest, tsx). */
const COMPILED = import.meta.url.endsWith('.js');

let typeScriptLoader: Promise<void> | undefined;

/**
 * The fallback for a TypeScript job module that the job cache cannot give: tsx, registered once
 * per thread, on the first such job and after krange itself is loaded, so that only the job's own
 * imports go through it.
 */
function registerTsx(): Promise<void> {
  typeScriptLoader ??= import('tsx/esm/api').then((m) => {
    m.register();
  });
  return typeScriptLoader;
}

/**
 * What to import for `modulePath`. Compiled krange runs on Node's own loader: a TypeScript job
 * module is imported from the job cache (job-cache.ts), built now when cold; when it cannot be
 * built, through tsx. JavaScript jobs need nothing, and krange run from its TypeScript sources
 * (vitest) has its own loader already. `compiled` is the driver's answer, passed to workers:
 * a path to import, or false for tsx.
 */
async function moduleToImport(modulePath: string, compiled: string | false | undefined): Promise<string> {
  if (!COMPILED || !/\.[mc]?ts$/.test(modulePath)) return modulePath;
  if (typeof compiled === 'string') return compiled;
  if (compiled === undefined) {
    try {
      const { path, built } = await compiledJobModule(modulePath);
      debugLog({ event: LogEvents.jobCompiled, module: modulePath, compiled: path, built });
      return path;
    } catch (err) {
      debugLog({ event: LogEvents.jobCompiled, module: modulePath, fallback: 'tsx', err: String(err) });
    }
  }
  await registerTsx();
  return modulePath;
}

/** One debug line, only when debug logs are on (loadJob has no logger of its own). */
function debugLog(fields: Record<string, unknown>): void {
  if (!/^(debug|trace)$/.test(process.env['KRANGE_LOG_LEVEL'] ?? '')) return;
  createLogger().debug(fields, 'job module');
}

/**
 * Imports and validates a job module. `endpoints` defaults to the KRANGE_* variables read now: the
 * one place the driver reads them; workers receive the driver's through their init message. A
 * derived schema (`fromRegistry`, `fromAvroSchema`) is resolved here, unless `schema` gives the
 * driver's resolution (workers). `compiled`: the driver's compiled module (workers), see
 * moduleToImport.
 */
export async function loadJob(
  nameOrPath: string,
  endpoints: ServiceEndpoints = serviceEndpoints(),
  schema?: Schema,
  compiled?: string | false,
): Promise<LoadedJob> {
  const modulePath = resolveJobPath(nameOrPath);
  let mod: Record<string, unknown>;
  let imported: string;
  try {
    imported = await moduleToImport(modulePath, compiled);
    mod = (await import(pathToFileURL(imported).href)) as Record<string, unknown>;
  } catch (err) {
    throw Errors.config(`cannot import job module ${modulePath}: ${(err as Error).message}`, {
      file: modulePath,
    });
  }
  const declared = (rawJob(mod, modulePath) as { schema?: unknown }).schema;
  const resolved: ResolvedSchema | undefined =
    schema !== undefined || !isSchemaSource(declared) ? undefined : await declared.resolve(modulePath);
  const job = jobFromModule(mod, modulePath, endpoints, resolved?.schema ?? schema, resolved?.origin);
  if (COMPILED && /\.[mc]?ts$/.test(modulePath)) job.compiled = imported === modulePath ? false : imported;
  return job;
}

function rawJob(mod: Record<string, unknown>, modulePath: string): unknown {
  const raw = mod['default'] ?? mod['job'];
  if (raw === undefined) {
    throw Errors.config(
      `job module ${modulePath} has no default export; write 'export default defineJob({...})'`,
      { file: modulePath },
    );
  }
  return raw;
}

/**
 * A job from an imported job module (its default export, or `job`), validated. A derived schema
 * must come resolved (`schema`): loadJob does that, and the driver passes its result to workers.
 */
export function jobFromModule(
  mod: Record<string, unknown>,
  modulePath: string,
  endpoints: ServiceEndpoints,
  schema?: Schema,
  schemaOrigin?: SchemaOrigin,
): LoadedJob {
  const raw = rawJob(mod, modulePath) as Record<string, unknown>;
  const derived = isSchemaSource(raw['schema']);
  if (derived && schema === undefined) {
    throw Errors.config(
      `job module ${modulePath}: its schema (${(raw['schema'] as { label: string }).label}) was not resolved before the job was built`,
      { file: modulePath },
    );
  }
  const spec = validateJob(derived ? { ...raw, schema } : raw, modulePath);
  // The job's own retry budget wins over KRANGE_RETRY_BUDGET_MS for every adapter it reaches.
  const budget = spec.retry?.budgetMs;
  return {
    spec,
    modulePath,
    endpoints: budget === undefined ? endpoints : { ...endpoints, retryBudgetMs: budget },
    ...(schemaOrigin === undefined ? {} : { schemaOrigin }),
  };
}
