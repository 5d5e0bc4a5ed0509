/** POST /:id/retry, POST /:id/cancel, DELETE /:id: the user's lifecycle moves. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Analysis } from '../../contract/analysis.types.ts';
import { statusKey } from '../../cache/cache.ts';
import { toStatusResponse } from '../analysis.presenter.ts';
import { IdParamsSchema, StatusResponseSchema } from '../schemas/media.schemas.ts';
import { serializeAsIs } from '../serialize-as-is.ts';
import { actorOf, problemResponses, type MediaRoutesDeps } from './media.deps.ts';

interface TransitionRoute {
  method: 'POST' | 'DELETE';
  url: string;
  summary: string;
  action: (id: string, tenantId: string, actor: Actor) => Promise<Analysis>;
  /** 200 answers with the new status; 204 with nothing. */
  code: 200 | 204;
}

export function transitionRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  const routes: TransitionRoute[] = [
    {
      method: 'POST',
      url: '/:id/retry',
      summary:
        'Retry a failed, cancelled or partial analysis (completed with a failed optional stage; the whole analysis runs again); an archived one is restored from the archive first',
      action: (id, tenantId, actor) => deps.analyses.retry(id, tenantId, actor),
      code: 200,
    },
    {
      method: 'POST',
      url: '/:id/cancel',
      summary: 'Cancel a pending or processing analysis',
      action: (id, tenantId, actor) => deps.analyses.cancel(id, tenantId, actor),
      code: 200,
    },
    {
      method: 'DELETE',
      url: '/:id',
      summary: 'Soft-delete an analysis (its files are cleaned up later; an archived one is restored, then deleted)',
      action: (id, tenantId, actor) => deps.analyses.delete(id, tenantId, actor),
      code: 204,
    },
  ];
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      schema: {
        summary: route.summary,
        tags: ['media'],
        params: IdParamsSchema,
        response: {
          ...(route.code === 200 ? { 200: StatusResponseSchema } : { 204: { type: 'null', description: 'Deleted' } }),
          ...problemResponses,
        },
      },
      // The analysis's results are written as stored (see serialize-as-is.ts).
      serializerCompiler: serializeAsIs,
      handler: async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const tenant = request.principal.tenantId;
        const a = await route.action(request.params.id, tenant, actorOf(request));
        // The change notification invalidates every process's cache; this one drops its copy now.
        await deps.cache?.del(statusKey(tenant, a.id));
        await deps.cache?.bumpGeneration(tenant);
        if (route.code === 204) return reply.code(204).send();
        return reply.code(200).send(toStatusResponse(a, await deps.analyses.stages(a.id)));
      },
    });
  }
}
