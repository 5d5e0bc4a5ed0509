/** GET /:id/artifacts and /:id/artifacts/:artifactId: list and download stored files (with Range). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { artifactName, toArtifactItem } from '../analysis.presenter.ts';
import { sendArtifact } from '../artifact-delivery.ts';
import { ArtifactListSchema, ArtifactParamsSchema, IdParamsSchema } from '../schemas/media.schemas.ts';
import { problemResponses, type MediaRoutesDeps } from './media.deps.ts';

/** Lifetime of a presigned download URL when the configuration gives none. */
const DEFAULT_URL_TTL_SECONDS = 300;

export function artifactRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/:id/artifacts',
    {
      schema: {
        summary: 'Files an analysis stored or produced',
        tags: ['media'],
        params: IdParamsSchema,
        response: { 200: ArtifactListSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { analysis, artifacts } = await deps.analyses.artifacts(request.params.id, request.principal.tenantId);
      return {
        data: artifacts.map((f) => toArtifactItem(f, `${deps.locationPrefix}/${analysis.id}/artifacts/${f.id}`)),
      };
    },
  );

  r.get(
    '/:id/artifacts/:artifactId',
    {
      schema: {
        summary: 'Download one artifact (supports Range)',
        tags: ['media'],
        params: ArtifactParamsSchema,
        response: {
          200: { description: 'The file (streamed; 206 with a Range)', type: 'string', format: 'binary' },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { id, artifactId } = request.params;
      const file = await deps.analyses.artifact(id, request.principal.tenantId, artifactId);
      return sendArtifact(
        request,
        reply,
        deps.storage,
        { relativePath: file.relativePath, mimeType: file.mimeType, name: artifactName(file) },
        deps.artifactDelivery ?? { mode: 'proxy', ttlSeconds: DEFAULT_URL_TTL_SECONDS },
      );
    },
  );
}
