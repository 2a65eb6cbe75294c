// Every failure krange reports is a KrangeError with a stable code from ERROR_CODES, a `retriable`
// flag the retry layer decides on, the cause, and details (job, topic, partition, offset, path...).
// Errors cross worker threads as plain {code, message, details, retriable}; recognise them by code.

/**
 * Every code, listed once, with whether an error of that code is worth retrying when the code
 * that throws it does not say (`retriable` given to the constructor or a factory wins). The retry
 * layer (retry.ts) and the worker pool decide from the error's `retriable` flag, never from codes.
 */
export const RETRIABLE_BY_DEFAULT = {
  KRANGE_CONFIG: false,
  KRANGE_JOB_NOT_FOUND: false,
  KRANGE_USAGE: false,
  KRANGE_DATA_LOSS: false,
  KRANGE_LOCKED: false,
  KRANGE_FENCED: false,
  /** Another driver created the plan or commit of the same iteration first: this one stops. */
  KRANGE_ITERATION_TAKEN: false,
  KRANGE_STATE_CORRUPT: false,
  KRANGE_STATE_VERSION: false,
  KRANGE_STATE_IDENTITY: false,
  KRANGE_SCHEMA_CHANGED: false,
  KRANGE_TABLE_OWNED: false,
  KRANGE_BAD_RECORD: false,
  KRANGE_KAFKA: true,
  /** Refusals (4xx) are set non-retriable where they are classified; an outage is retriable. */
  KRANGE_HDFS: true,
  KRANGE_POSTGRES: true,
  KRANGE_SINK: true,
  /** A worker thread died (out of memory, a native crash): its task runs again on a new one. */
  KRANGE_WORKER_EXITED: true,
  /** A task already tried its attempts: not tried again. */
  KRANGE_TASK_FAILED: false,
  KRANGE_ABORTED: false,
  KRANGE_TIMEOUT: true,
  KRANGE_INGEST: true,
  /** Unreachable or 5xx is set retriable where it is thrown; an unknown subject or id is not. */
  KRANGE_SCHEMA_REGISTRY: false,
  /** Something krange did not foresee (a bug, an unclassified library error). */
  KRANGE_INTERNAL: false,
} as const satisfies Record<string, boolean>;

export type ErrorCode = keyof typeof RETRIABLE_BY_DEFAULT;

export const ERROR_CODES = Object.keys(RETRIABLE_BY_DEFAULT) as readonly ErrorCode[];

/** Node's system errors that a later attempt may not meet: the peer restarting or unreachable. */
const TRANSIENT_SYSTEM_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A Node system error (its `code`) that is a network outage, not a refusal. */
export function isTransientSystemError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SYSTEM_ERRORS.has(code);
}

export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

export interface SerializedError {
  code: ErrorCode;
  message: string;
  retriable: boolean;
  details: ErrorDetails;
  stack?: string;
}

export class KrangeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KrangeError';
    this.code = code;
    this.retriable = opts.retriable ?? RETRIABLE_BY_DEFAULT[code];
    this.details = opts.details ?? {};
  }

  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      details: this.details,
      ...(this.stack === undefined ? {} : { stack: this.stack }),
    };
  }
}

export function isKrangeError(err: unknown, code?: ErrorCode): err is KrangeError {
  if (!(err instanceof Error) || !('code' in err)) return false;
  const c = (err as { code: unknown }).code;
  return (
    typeof c === 'string' && Object.hasOwn(RETRIABLE_BY_DEFAULT, c) && (code === undefined || c === code)
  );
}

/**
 * Wraps anything thrown into a KrangeError (keeps a KrangeError as it is). Something else becomes
 * `fallback`, retriable only when it is a network outage (isTransientSystemError).
 */
export function toKrangeError(err: unknown, fallback: ErrorCode = 'KRANGE_INTERNAL'): KrangeError {
  if (err instanceof KrangeError) return err;
  if (isKrangeError(err)) {
    const e = err as KrangeError;
    const retriable = typeof e.retriable === 'boolean' ? e.retriable : RETRIABLE_BY_DEFAULT[e.code];
    return new KrangeError(e.code, e.message, { retriable, details: e.details ?? {}, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KrangeError(fallback, message, { cause: err, retriable: isTransientSystemError(err) });
}

export function serializeError(err: unknown): SerializedError {
  return toKrangeError(err).toJSON();
}

export function deserializeError(e: SerializedError): KrangeError {
  const err = new KrangeError(e.code, e.message, { retriable: e.retriable, details: e.details });
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

function where(d: ErrorDetails): string {
  return Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** Named factories: one place for every message, so they stay consistent and searchable. */
export const Errors = {
  config(message: string, details: ErrorDetails = {}): KrangeError {
    return new KrangeError('KRANGE_CONFIG', message, { details });
  },
  jobNotFound(name: string, searched: string): KrangeError {
    return new KrangeError(
      'KRANGE_JOB_NOT_FOUND',
      `job '${name}' not found (looked for ${searched}); list jobs with 'krange jobs' or pass a path to a job module`,
      { details: { job: name } },
    );
  },
  usage(message: string): KrangeError {
    return new KrangeError('KRANGE_USAGE', message);
  },
  dataLoss(d: {
    job: string;
    topic: string;
    partition: number;
    from: string;
    to: string;
    reason: string;
  }): KrangeError {
    return new KrangeError(
      'KRANGE_DATA_LOSS',
      `data loss in ${d.topic}[${d.partition}]: offsets [${d.from}, ${d.to}) are no longer available (${d.reason}). ` +
        `Set failOnDataLoss: false in job '${d.job}' to skip and record the lost range, or 'krange reset ${d.job}' to start elsewhere`,
      { details: d },
    );
  },
  locked(job: string, owner: string): KrangeError {
    return new KrangeError(
      'KRANGE_LOCKED',
      `job '${job}' is locked by ${owner}; wait for that run to finish (a lock whose owner is gone is taken over automatically)`,
      { details: { job, owner } },
    );
  },
  stateCorrupt(path: string, reason: string): KrangeError {
    return new KrangeError(
      'KRANGE_STATE_CORRUPT',
      `state file ${path} is unreadable: ${reason}. krange never resets silently: fix or move the file, or 'krange reset <job>' to choose a new starting point`,
      { details: { path } },
    );
  },
  stateVersion(path: string, version: unknown): KrangeError {
    return new KrangeError(
      'KRANGE_STATE_VERSION',
      `state file ${path} has version ${String(version)}, this krange reads version 1; use the krange release that wrote it`,
      { details: { path } },
    );
  },
  /** A state directory bound to another definition of the job (state-identity.ts). */
  stateIdentity(d: {
    job: string;
    dir: string;
    module: string;
    boundAt: string;
    differences: string[];
  }): KrangeError {
    return new KrangeError(
      'KRANGE_STATE_IDENTITY',
      `state directory ${d.dir} is bound to another definition of job '${d.job}' (from ${d.module}, ` +
        `bound ${d.boundAt}): ${d.differences.join('; ')}. Nothing was changed. If two job files declare ` +
        `the name '${d.job}', give one another name ('krange jobs' lists conflicts). If you changed this job on ` +
        `purpose, run 'krange state ${d.job} --rebind' to bind the directory to it: committed positions are ` +
        'kept, a new topic is read from its earliest offset, a new sink gets only the records of the next iterations',
      { details: { job: d.job, dir: d.dir, differences: d.differences.join('; ') } },
    );
  },
  fenced(job: string, what: string, mine: number, newest: number, holder: string): KrangeError {
    return new KrangeError(
      'KRANGE_FENCED',
      `job '${job}': not allowed to ${what}: this runner held lock generation ${mine}, but generation ${newest} ` +
        `(${holder}) took the job over while this one was presumed gone. Nothing was committed by this runner; ` +
        `the newer holder re-runs the uncommitted plan`,
      { details: { job, mine, newest } },
    );
  },
  /** offsets/<n>.json or commits/<n>.json already existed when this driver created it exclusively. */
  iterationTaken(job: string, what: 'plan' | 'commit', iteration: number, where: string): KrangeError {
    return new KrangeError(
      'KRANGE_ITERATION_TAKEN',
      `job '${job}': the ${what} of iteration ${iteration} (${where}) was written by another driver first; ` +
        `this one stops without writing it (two drivers ran the job at once: only one holds its lock at a time, ` +
        `see 'krange state ${job}')`,
      { details: { job, what, iteration, path: where } },
    );
  },
  commitInvalid(job: string, path: string, iteration: number, reason: string): KrangeError {
    return new KrangeError(
      'KRANGE_STATE_CORRUPT',
      `commit file ${path} does not commit iteration ${iteration} of job '${job}': ${reason}. ` +
        `Nothing was run. If iteration ${iteration} did not finish, move this file out of the state directory ` +
        `and run again: the plan re-runs and its outputs are replaced, not doubled. If it did finish, restore the file from a backup`,
      { details: { job, path, iteration } },
    );
  },
  schemaChanged(job: string, was: string, now: string): KrangeError {
    return new KrangeError(
      'KRANGE_SCHEMA_CHANGED',
      `job '${job}' output schema changed (hash ${was} -> ${now}) while an iteration is uncommitted; ` +
        'finish it with the old job definition, or reset the job',
      { details: { job, was, now } },
    );
  },
  badRecord(d: {
    topic: string;
    partition: number;
    offset: string;
    field?: string;
    reason: string;
  }): KrangeError {
    const field = d.field === undefined ? '' : ` field '${d.field}'`;
    return new KrangeError(
      'KRANGE_BAD_RECORD',
      `bad record at ${d.topic}[${d.partition}]@${d.offset}${field}: ${d.reason}. ` +
        "Fix the producer or the job, or set onBadRecord: 'skip' | 'deadLetter' to route it aside",
      { details: d },
    );
  },
  kafka(message: string, details: ErrorDetails = {}, cause?: unknown, retriable?: boolean): KrangeError {
    return new KrangeError(
      'KRANGE_KAFKA',
      `${message}${Object.keys(details).length ? ` (${where(details)})` : ''}`,
      {
        details,
        cause,
        retriable,
      },
    );
  },
  /** A service that cannot be reached or refuses the login: names the address and what set it. */
  unreachable(d: {
    service: 'Kafka' | 'WebHDFS' | 'MongoDB' | 'Redis' | 'PostgreSQL';
    address: string;
    origin: string;
    reason: string;
    cause?: unknown;
  }): KrangeError {
    const code: ErrorCode =
      d.service === 'Kafka'
        ? 'KRANGE_KAFKA'
        : d.service === 'WebHDFS'
          ? 'KRANGE_HDFS'
          : d.service === 'PostgreSQL'
            ? 'KRANGE_POSTGRES'
            : 'KRANGE_SINK';
    return new KrangeError(
      code,
      `cannot connect to ${d.service} at ${d.address} (${d.origin}): ${d.reason}. ` +
        'Check that the service is up and the address and credentials are right',
      { details: { service: d.service, address: d.address }, cause: d.cause, retriable: true },
    );
  },
  hdfs(message: string, details: ErrorDetails = {}, cause?: unknown, retriable?: boolean): KrangeError {
    return new KrangeError('KRANGE_HDFS', message, { details, cause, retriable });
  },
  sink(
    sink: string,
    message: string,
    details: ErrorDetails = {},
    cause?: unknown,
    retriable?: boolean,
  ): KrangeError {
    return new KrangeError('KRANGE_SINK', `${sink} sink: ${message}`, {
      details: { sink, ...details },
      cause,
      retriable,
    });
  },
  taskFailed(taskId: string, attempts: number, cause: KrangeError): KrangeError {
    return new KrangeError(
      'KRANGE_TASK_FAILED',
      `task ${taskId} failed after ${attempts} attempt(s): ${cause.message}`,
      {
        details: { task: taskId, attempts, causeCode: cause.code, ...cause.details },
        cause,
      },
    );
  },
  /** An aggregate table another job owns (aggregator/table-owner.ts). */
  tableOwned(d: { table: string; job: string; owner: string; ownerTopics: string }): KrangeError {
    return new KrangeError(
      'KRANGE_TABLE_OWNED',
      `aggregate table '${d.table}' belongs to job '${d.owner}' (topics ${d.ownerTopics}), not to job '${d.job}'; ` +
        `nothing was written. Two job names can fold to one table name ('a.b' and 'a_b' both give 'a_b_agg'): ` +
        `set aggregate.table of job '${d.job}' to another name, or, if job '${d.owner}' is gone, ` +
        `DROP TABLE "${d.table}" (its rows are lost) and start job '${d.job}' again`,
      { details: { table: d.table, job: d.job, owner: d.owner } },
    );
  },
  /** A worker thread exited while it ran a task (out of memory, a native crash, process.exit). */
  workerExited(worker: number, exitCode: number, task: string): KrangeError {
    return new KrangeError(
      'KRANGE_WORKER_EXITED',
      `worker thread ${worker} exited with code ${exitCode} while running task ${task} ` +
        '(out of memory, a native crash, or process.exit in the job code: see the log above)',
      { details: { worker, exitCode, task } },
    );
  },
  aborted(reason: string): KrangeError {
    return new KrangeError('KRANGE_ABORTED', `aborted: ${reason}`);
  },
  timeout(what: string, ms: number): KrangeError {
    return new KrangeError('KRANGE_TIMEOUT', `${what} timed out after ${ms} ms`, { retriable: true });
  },
};
