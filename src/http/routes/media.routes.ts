/**
 * The media analysis API, mounted at /api/media and /api/v1/media: authentication and
 * authentication for every route (the per-key rate limit is registered once for all of
 * `/api/`, see plugins/rate-limit.plugin.ts), then one file per feature.
 */
import type { FastifyInstance } from 'fastify';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { analyzeRoutes } from './analyze.routes.ts';
import { artifactRoutes } from './artifacts.routes.ts';
import { historyRoutes } from './history.routes.ts';
import { statusRoutes } from './status.routes.ts';
import { transitionRoutes } from './transitions.routes.ts';
import type { MediaRoutesDeps } from './media.deps.ts';

export async function mediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  analyzeRoutes(app, deps);
  statusRoutes(app, deps);
  historyRoutes(app, deps);
  artifactRoutes(app, deps);
  transitionRoutes(app, deps);
}
