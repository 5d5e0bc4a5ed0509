/**
 * One provider call through its circuit breaker, with failures mapped onto the error
 * catalogue: an open circuit → PROVIDER_UNAVAILABLE (retry later, not counted as an
 * attempt); retryable failures → PROVIDER_FAILED (transient, and they count toward
 * opening the circuit); a refused request → PROVIDER_REJECTED (permanent).
 */
import { AppError } from '../domain/errors.ts';
import { BreakerOpenError, type CircuitBreaker } from '../resilience/circuit-breaker.ts';
import { ProviderError } from './provider-http.ts';

export async function callProvider<T>(breaker: CircuitBreaker, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await breaker.exec(fn);
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof BreakerOpenError) {
      throw new AppError('PROVIDER_UNAVAILABLE', err.message, {
        retryAfterMs: Math.max(1000, err.retryAfterMs),
        cause: err,
      });
    }
    if (err instanceof ProviderError) {
      throw new AppError(err.retryable ? 'PROVIDER_FAILED' : 'PROVIDER_REJECTED', `${breaker.name}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}
