/**
 * GET /:id (and its older alias GET /status/:id): status, progress and results,
 * cache-aside with a stale fallback. An archived analysis answers like a live finished
 * one plus `archived: true` and `archived_at` (the service reads the archive on a miss).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Analysis } from '../../contract/analysis.types.ts';
import type { AnalysisStage } from '../../contract/analysis-stage.types.ts';
import { statusKey } from '../../cache/cache.ts';
import { isDatabaseUnreachable } from '../../persistence/database-errors.ts';
import { toStatusResponse } from '../analysis.presenter.ts';
import { serializeAsIs } from '../serialize-as-is.ts';
import { IdParamsSchema, StatusResponseSchema } from '../schemas/media.schemas.ts';
import { problemResponses, type MediaRoutesDeps } from './media.deps.ts';

/** Cache lifetimes (seconds) when the configuration gives none. */
const DEFAULT_TTL = { status: 300, result: 3600 };

function isFinal(a: Analysis): boolean {
  return a.status === 'completed' || a.status === 'failed' || a.status === 'cancelled';
}

export function statusRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  for (const url of ['/:id', '/status/:id']) statusRoute(app, deps, url);
}

function statusRoute(app: FastifyInstance, deps: MediaRoutesDeps, url: string): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    url,
    {
      schema: {
        summary: 'Status, progress and results of one analysis (archived ones too, marked archived)',
        tags: ['media'],
        params: IdParamsSchema,
        response: { 200: StatusResponseSchema, ...problemResponses },
      },
      serializerCompiler: serializeAsIs,
    },
    async (request, reply) => {
      const { cache } = deps;
      const tenant = request.principal.tenantId;
      const key = statusKey(tenant, request.params.id);
      if (cache) {
        const hit = await cache.get(key);
        if (hit)
          return reply
            .header('x-cache', 'hit')
            .type('application/json; charset=utf-8')
            .send(hit as never);
      }
      const token = cache?.loadToken();
      let a: Analysis;
      let stages: AnalysisStage[];
      try {
        ({ analysis: a, stages } = await deps.analyses.getWithStages(request.params.id, tenant));
      } catch (err) {
        // PostgreSQL away: a recently seen status is better than an error, and says it is stale.
        const stale = cache && isDatabaseUnreachable(err) ? cache.getStale(key) : null;
        if (stale)
          return reply
            .header('x-cache', 'stale')
            .header('warning', '110 - "Response is stale: database unavailable"')
            .type('application/json; charset=utf-8')
            .send(stale as never);
        throw err;
      }
      const body = toStatusResponse(a, stages);
      if (cache) {
        const ttl = isFinal(a)
          ? (deps.cacheTtl?.result ?? DEFAULT_TTL.result)
          : (deps.cacheTtl?.status ?? DEFAULT_TTL.status);
        await cache.set(key, JSON.stringify(body), ttl, token);
        reply.header('x-cache', 'miss');
      }
      return body;
    },
  );
}
