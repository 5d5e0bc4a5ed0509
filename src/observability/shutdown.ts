/**
 * Whether this process has begun shutting down. Set by the entry point when a signal
 * arrives; connections closing under us are expected from then on (on Ctrl-C the
 * embedded PostgreSQL gets the signal too), so listeners log them at debug, not as errors.
 */
let started = false;

export function beginShutdown(): void {
  started = true;
}

export function shuttingDown(): boolean {
  return started;
}
