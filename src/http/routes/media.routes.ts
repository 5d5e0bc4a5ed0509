/**
 * The media analysis API, mounted at /api/media and /api/v1/media: authentication and
 * the per-key rate limit for every route, then one file per feature.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { analyzeRoutes } from './analyze.routes.ts';
import { artifactRoutes } from './artifacts.routes.ts';
import { historyRoutes } from './history.routes.ts';
import { statusRoutes } from './status.routes.ts';
import { transitionRoutes } from './transitions.routes.ts';
import type { MediaRoutesDeps } from './media.deps.ts';

export async function mediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  if (deps.rateLimit && deps.rateLimit.max > 0) {
    await app.register(rateLimit, {
      global: true,
      // After authentication (onRequest), so the limit is per API key, not per address.
      hook: 'preHandler',
      max: deps.rateLimit.max,
      timeWindow: deps.rateLimit.windowMs,
      keyGenerator: (request) => `rl:${request.principal?.keyId ?? request.ip}`,
      enableDraftSpec: true,
      ...(deps.rateLimit.redis ? { redis: deps.rateLimit.redis as never, skipOnError: true } : {}),
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
  analyzeRoutes(app, deps);
  statusRoutes(app, deps);
  historyRoutes(app, deps);
  artifactRoutes(app, deps);
  transitionRoutes(app, deps);
}
