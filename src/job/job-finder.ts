// Finds the job a command line names: a path, a file in the jobs directory (`clickstream` for
// jobs/clickstream.ts) or the `name` a job module declares (what `krange jobs` lists). Two modules
// declaring one name would share one state directory, so where jobs are loaded together a shared
// name is refused naming both files, and a name that fits several modules is an error listing them.

import { basename } from 'node:path';
import { Errors, KrangeError } from '../errors.ts';
import { type ServiceEndpoints, serviceEndpoints } from './endpoints.ts';
import { type LoadedJob, listJobFiles, loadJob, resolveJobPath } from './job-loader.ts';

export interface FoundJob {
  job: LoadedJob;
  /** Set when the argument was the job's declared name, not its file: which file that is. */
  resolvedByName?: string;
}

export interface ListedJob {
  file: string;
  job?: LoadedJob;
  error?: string;
}

function isPathLike(arg: string): boolean {
  return arg.includes('/') || /\.(ts|mts|js|mjs)$/.test(arg);
}

function fileNamed(word: string): string | undefined {
  try {
    return resolveJobPath(word);
  } catch {
    return undefined;
  }
}

/** Every module in the jobs directory, loaded (or with the error that stopped it). */
export async function listJobs(endpoints: ServiceEndpoints = serviceEndpoints()): Promise<ListedJob[]> {
  const out: ListedJob[] = [];
  for (const file of listJobFiles()) {
    try {
      out.push({ file, job: await loadJob(file, endpoints) });
    } catch (err) {
      out.push({ file, error: (err as Error).message });
    }
  }
  return out;
}

/** Job names declared by more than one module, with their files. */
export function sharedNames(jobs: { file: string; job?: LoadedJob }[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const { file, job } of jobs) {
    if (job === undefined) continue;
    byName.set(job.spec.name, [...(byName.get(job.spec.name) ?? []), file]);
  }
  return new Map([...byName].filter(([, files]) => files.length > 1));
}

export function duplicateNameError(name: string, files: string[]): KrangeError {
  return Errors.config(
    `job name '${name}' is declared by ${files.join(' and ')}: they would share one state directory ` +
      `(state/${name}); give each job its own name`,
    { job: name },
  );
}

/** Refuses a set of jobs loaded together when two declare the same name. */
export function refuseSharedNames(jobs: LoadedJob[]): void {
  const shared = sharedNames(jobs.map((job) => ({ file: job.modulePath, job })));
  const first = [...shared][0];
  if (first !== undefined) throw duplicateNameError(first[0], first[1]);
}

/**
 * The job `arg` names. A path is that file. A bare word is the file jobs/<word>.* when that module
 * declares the name <word> (the usual case: nothing else is imported); otherwise every module in
 * the jobs directory is loaded and the word matches a file name or a declared name: one match is
 * the job, several are an error listing them.
 */
export async function findJob(
  arg: string,
  endpoints: ServiceEndpoints = serviceEndpoints(),
): Promise<FoundJob> {
  if (isPathLike(arg)) return { job: await loadJob(arg, endpoints) };
  const byFile = fileNamed(arg);
  if (byFile !== undefined) {
    const job = await loadJob(byFile, endpoints);
    if (job.spec.name === arg) return { job };
  }
  const listed = await listJobs(endpoints);
  const matches = listed.filter((l) => l.file === byFile || (l.job !== undefined && l.job.spec.name === arg));
  if (matches.length > 1) {
    const lines = matches.map((m) =>
      m.file === byFile
        ? `  - ${m.file} (file name; declares job '${m.job?.spec.name ?? '?'}')`
        : `  - ${m.file} (declares job '${arg}')`,
    );
    throw new KrangeError(
      'KRANGE_USAGE',
      `'${arg}' names more than one job:\n${lines.join('\n')}\npass the file's path instead (e.g. krange run ${matches[0]?.file})`,
      { details: { job: arg } },
    );
  }
  const match = matches[0];
  if (match?.job !== undefined)
    return match.file === byFile ? { job: match.job } : { job: match.job, resolvedByName: match.file };
  if (match?.error !== undefined) throw new KrangeError('KRANGE_CONFIG', match.error);
  const names = listed.flatMap((l) => (l.job === undefined ? [] : [l.job.spec.name]));
  const broken = listed.filter((l) => l.job === undefined).map((l) => basename(l.file));
  throw Errors.jobNotFound(
    arg,
    `files and job names in the jobs directory: ${names.length > 0 ? names.join(', ') : 'none'}` +
      (broken.length > 0 ? `; ${broken.join(', ')} did not load` : ''),
  );
}
