/** GET /:id/artifacts and /:id/artifacts/:artifactId: list and download stored files (with Range). */
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../domain/errors.ts';
import { artifactName, toArtifactItem } from '../analysis.presenter.ts';
import { problemBody, PROBLEM_CONTENT_TYPE } from '../problem.ts';
import { parseRange } from '../range.ts';
import { ArtifactListSchema, ArtifactParamsSchema, IdParamsSchema } from '../schemas/media.schemas.ts';
import { problemResponses, type MediaRoutesDeps } from './media.deps.ts';

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
    { schema: { summary: 'Download one artifact (supports Range)', tags: ['media'], params: ArtifactParamsSchema } },
    async (request, reply) => {
      const { id, artifactId } = request.params;
      const file = await deps.analyses.artifact(id, request.principal.tenantId, artifactId);
      const absolute = deps.storage.resolve(file.relativePath);
      const stat = await fs.stat(absolute).catch(() => null);
      if (!stat) throw new AppError('ARTIFACT_NOT_FOUND', 'The artifact file is no longer stored');
      const range = parseRange(request.headers.range, stat.size);
      reply
        .header('content-type', file.mimeType ?? 'application/octet-stream')
        .header('accept-ranges', 'bytes')
        .header('content-disposition', `inline; filename="${artifactName(file)}"`)
        .header('x-content-type-options', 'nosniff');
      if (range === 'unsatisfiable') {
        return reply
          .code(416)
          .header('content-range', `bytes */${stat.size}`)
          .type(PROBLEM_CONTENT_TYPE)
          .send(problemBody('RANGE_NOT_SATISFIABLE', request.id, `The file has ${stat.size} bytes`));
      }
      if (range) {
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`)
          .header('content-length', range.end - range.start + 1)
          .send(createReadStream(absolute, { start: range.start, end: range.end }));
      }
      return reply.header('content-length', stat.size).send(createReadStream(absolute));
    },
  );
}
