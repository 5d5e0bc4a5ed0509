/**
 * API key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 * Sets `request.principal`; every query below filters by its tenant. With
 * AUTH_MODE=disabled every request acts as the `default` tenant (a warning is logged at boot).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import type { ApiKeyService, Principal } from '../../domain/tenant/api-key.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Retry-After for an address refused for its failed authentications (a window is a minute by default). */
const AUTH_RETRY_AFTER_SECONDS = 60;

export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  keyId: 'auth-disabled',
  tenantId: 'default',
  isAdmin: true,
});

export function presentedKey(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const x = request.headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x.trim() : null;
}

/** Add the authentication hook to the (encapsulated) instance. */
export function requireApiKey(app: FastifyInstance, keys: ApiKeyService, mode: 'api_key' | 'disabled'): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (mode === 'disabled') {
      request.principal = ANONYMOUS_PRINCIPAL;
      return;
    }
    // An address that keeps presenting bad keys is refused before its key costs a query.
    const key = presentedKey(request);
    if (keys.throttled(request.ip, key))
      throw new AppError('RATE_LIMITED', 'Too many requests with unknown or revoked API keys from this address', {
        headers: { 'retry-after': String(AUTH_RETRY_AFTER_SECONDS) },
      });
    if (!key)
      throw new AppError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key"', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    const principal = await keys.authenticate(key);
    if (!principal) keys.recordFailure(request.ip);
    if (!principal)
      throw new AppError('UNAUTHORIZED', 'The API key is unknown or revoked', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    request.principal = principal;
  });
}
