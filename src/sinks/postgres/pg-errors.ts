// How the PostgreSQL sink reads a pg error: transient (the server is down, restarting, or out of
// connections: the task is retried), a refused row (data exception, constraint, size limit: the
// job's onBadRecord decides), or anything else (a defect or a schema problem: the task fails).

interface PgErrorLike {
  code?: string;
  column?: string;
  constraint?: string;
  detail?: string;
  where?: string;
  message: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function pgError(err: unknown): PgErrorLike | undefined {
  return err instanceof Error ? (err as Error & PgErrorLike) : undefined;
}

/** Worth retrying: connection failures, shutdowns, too many connections, serialization failures. */
export function isTransientPgError(err: unknown): boolean {
  const e = pgError(err);
  if (e === undefined) return false;
  const code = e.code ?? '';
  if (NETWORK_CODES.has(code)) return true;
  if (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '53300' ||
    code === '40001' ||
    code === '40P01'
  )
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message,
  );
}

/** A row PostgreSQL refuses: data exception (22), integrity constraint (23), or a size limit (54000). */
export function isRowRefusal(err: unknown): boolean {
  const code = pgError(err)?.code ?? '';
  return code.startsWith('22') || code.startsWith('23') || code === '54000';
}

/** The column a refusal names, when PostgreSQL says it (not-null), COPY's context does, or a key detail. */
export function refusedColumn(err: unknown): string | undefined {
  const e = pgError(err);
  if (e === undefined) return undefined;
  if (e.column) return e.column;
  const copy = /, column ([^:]+):/.exec(e.where ?? '');
  if (copy?.[1]) return copy[1];
  const key = /^Key \(([^)]+)\)=/.exec(e.detail ?? '');
  return key?.[1];
}

/** What PostgreSQL said, with its SQLSTATE, constraint and detail. */
export function describePgError(err: unknown): string {
  const e = pgError(err);
  if (e === undefined) return String(err);
  const parts = [e.message];
  if (e.constraint) parts.push(`constraint ${e.constraint}`);
  if (e.detail) parts.push(e.detail);
  if (e.code) parts.push(`SQLSTATE ${e.code}`);
  return parts.join('; ');
}
