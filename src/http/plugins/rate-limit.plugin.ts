/**
 * The per-key rate limit, registered once for every tenant route under `/api/` (media,
 * search, webhooks, deliveries, exports, event streams, admin keys): one budget per API
 * key per window, with `RateLimit-*` headers and a 429 problem with Retry-After beyond it.
 * Health, docs, metrics and the console are outside `/api/` and never limited.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.ts';

export interface RateLimitSettings {
  /** Requests per key per window; 0 turns the limit off. */
  max: number;
  windowMs: number;
  /** A shared Redis, so every API process counts against the same budget. */
  redis?: unknown;
}

/** Routes under this prefix are the tenant API. */
const LIMITED_PREFIX = '/api/';

export async function registerRateLimit(app: FastifyInstance, settings: RateLimitSettings | undefined): Promise<void> {
  if (!settings || settings.max <= 0) return;
  await app.register(rateLimit, {
    global: true,
    // After authentication (each route group's onRequest), so the limit is per API key.
    hook: 'preHandler',
    max: settings.max,
    timeWindow: settings.windowMs,
    allowList: (request) => !request.url.startsWith(LIMITED_PREFIX),
    keyGenerator: (request) => {
      const principal = (request as { principal?: { keyId: string } | null }).principal;
      return `rl:${principal?.keyId ?? request.ip}`;
    },
    enableDraftSpec: true,
    ...(settings.redis ? { redis: settings.redis as never, skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.ceil(context.ttl / 1000);
      const window = Math.round(context.ttl / 1000) || 1;
      return new AppError(
        'RATE_LIMITED',
        `At most ${context.max} requests per ${window} s for this API key; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    },
  });
}
