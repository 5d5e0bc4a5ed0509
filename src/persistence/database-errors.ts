/**
 * "PostgreSQL cannot be reached right now", as opposed to a query that failed. One
 * list, used everywhere: the HTTP layer answers these with 503 + Retry-After (and may
 * serve a stale cached status), the database circuit breaker counts them, readiness
 * reports them.
 */

/** SQLSTATEs that mean the server is going away or not taking connections. */
export const UNREACHABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: the server is shutting down
  '57P02', // crash_shutdown: another backend crashed, the server restarts
  '57P03', // cannot_connect_now: starting up or in recovery (also our open circuit, below)
  '53300', // too_many_connections
]);

/** SQLSTATE class 08: connection exception (08000, 08001, 08003, 08004, 08006, …). */
const CONNECTION_EXCEPTION_CLASS = '08';

/** Socket-level errors from Node while connecting or talking to the server. */
export const UNREACHABLE_NET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', // nothing listens at the address
  'ECONNRESET', // the connection was cut
  'ETIMEDOUT', // no answer in time
  'EHOSTUNREACH', // no route to the host
  'ENOTFOUND', // the host name does not resolve
  'EPIPE', // wrote to a closed connection
]);

/** Messages node-postgres gives without a code for the same conditions. */
const UNREACHABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** The code our database circuit breaker puts on its refusal (cannot_connect_now). */
export const DATABASE_CIRCUIT_OPEN_CODE = '57P03';

/** True for errors that say PostgreSQL is down or unreachable (not for query errors). */
export function isDatabaseUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_NET_CODES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS))
    return true;
  return UNREACHABLE_MESSAGE.test(typeof e.message === 'string' ? e.message : '');
}
