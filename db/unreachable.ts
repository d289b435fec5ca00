/** Codes of a database that cannot be reached or went away (postgres.js's and Postgres's own), possibly wrapped by drizzle. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** True when an error (or its cause) says the database is unreachable rather than that the request was wrong. */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code ?? (e as { errno?: unknown }).errno;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  }
  return false;
}
