/**
 * Exports of a finished analysis (mounted under /api/media):
 * `GET /{id}/transcript.{srt|vtt|txt|json}` and `GET /{id}/result.json` (the whole result).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AnalysisService } from '../../domain/analysis/analysis.service.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { AppError } from '../../domain/errors.ts';
import {
  TRANSCRIPT_CONTENT_TYPES,
  TRANSCRIPT_FORMATS,
  formatTranscript,
  transcriptOf,
} from '../../domain/export/transcript-format.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';

export interface ExportRoutesDeps {
  analyses: AnalysisService;
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
}

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 410: ProblemSchema };

export async function exportRoutes(app: FastifyInstance, deps: ExportRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  // 404 when unknown or another tenant's, 410 when deleted.
  const load = (id: string, tenantId: string) => deps.analyses.get(id, tenantId);

  r.get(
    '/:id/transcript.:format',
    {
      schema: {
        summary: 'The transcript as SRT, WebVTT, plain text or JSON (with word times when available)',
        operationId: 'exportTranscript',
        tags: ['exports'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }), format: Type.Enum([...TRANSCRIPT_FORMATS]) }),
        response: {
          200: {
            description: 'The transcript',
            content: Object.fromEntries(
              Object.values(TRANSCRIPT_CONTENT_TYPES).map((t) => [t.split(';')[0], { schema: { type: 'string' } }]),
            ),
          },
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const a = await load(request.params.id, request.principal.tenantId);
      const transcript = transcriptOf(a.results);
      if (!transcript) throw new AppError('TRANSCRIPT_NOT_FOUND', `Analysis ${a.id} has no transcript`);
      const format = request.params.format;
      return reply
        .type(TRANSCRIPT_CONTENT_TYPES[format])
        .header('content-disposition', `inline; filename="${a.id}.${format}"`)
        .send(formatTranscript(transcript, format));
    },
  );

  r.get(
    '/:id/result.json',
    {
      schema: {
        summary: 'The whole result of an analysis as JSON',
        operationId: 'exportResult',
        tags: ['exports'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: { description: 'The results object', content: { 'application/json': { schema: { type: 'object' } } } },
          409: ProblemSchema,
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const a = await load(request.params.id, request.principal.tenantId);
      if (a.status !== 'completed' || !a.results)
        throw new AppError('INVALID_TRANSITION', `Analysis ${a.id} is ${a.status}; results exist once it completes`);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${a.id}.json"`)
        .send({ analysis_id: a.id, status: a.status, results: a.results });
    },
  );
}
