/**
 * Exports of a finished analysis (mounted under /api/media):
 * `GET /{id}/transcript.{srt|vtt|txt|json}`, `GET /{id}/shots.{json|csv}`,
 * `GET /{id}/chapters.{json|csv}` and `GET /{id}/result.json` (the whole result).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AnalysisService } from '../../domain/analysis/analysis.service.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { AppError, type ErrorCode } from '../../domain/errors.ts';
import {
  TRANSCRIPT_CONTENT_TYPES,
  TRANSCRIPT_FORMATS,
  formatTranscript,
  transcriptOf,
} from '../../domain/export/transcript-format.ts';
import {
  CHAPTER_COLUMNS,
  SHOT_COLUMNS,
  TIMELINE_CONTENT_TYPES,
  TIMELINE_FORMATS,
  type TimelineFormat,
  chapterRows,
  formatRows,
  shotRows,
} from '../../domain/export/timeline-format.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { serializeAsIs } from '../serialize-as-is.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import { AnalysisResultsSchema, type AnalysisResults } from '../../contract/results.schema.ts';

export interface ExportRoutesDeps {
  analyses: AnalysisService;
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
}

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 410: ProblemSchema };

/** One timeline export: its route name, document and how its rows are made and written. */
function timelineExport<T extends object>(spec: {
  name: string;
  operationId: string;
  summary: string;
  what: string;
  missing: ErrorCode;
  rows: (results: AnalysisResults | null) => T[] | null;
  columns: ReadonlyArray<keyof T & string>;
}) {
  return {
    ...spec,
    render(id: string, results: AnalysisResults | null, format: TimelineFormat): string | null {
      const rows = spec.rows(results);
      return rows ? formatRows(id, rows, spec.columns, format) : null;
    },
  };
}

const TIMELINE_EXPORTS = [
  timelineExport({
    name: 'shots',
    operationId: 'exportShots',
    summary: 'The shots as JSON or CSV: start, end, cut score, keyframe, objects seen and faces counted',
    what: 'One row per shot',
    missing: 'SHOTS_NOT_FOUND',
    rows: shotRows,
    columns: SHOT_COLUMNS,
  }),
  timelineExport({
    name: 'chapters',
    operationId: 'exportChapters',
    summary: 'The chapters (media over 2 minutes, cut at pauses in speech) as JSON or CSV',
    what: 'One row per chapter',
    missing: 'CHAPTERS_NOT_FOUND',
    rows: chapterRows,
    columns: CHAPTER_COLUMNS,
  }),
];

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

  const timelineResponse = (what: string) => ({
    200: {
      description: what,
      content: Object.fromEntries(
        Object.values(TIMELINE_CONTENT_TYPES).map((t) => [t.split(';')[0], { schema: { type: 'string' } }]),
      ),
    },
    ...problems,
  });
  const timelineParams = Type.Object({ id: Type.String({ format: 'uuid' }), format: Type.Enum([...TIMELINE_FORMATS]) });

  for (const e of TIMELINE_EXPORTS)
    r.get(
      `/:id/${e.name}.:format`,
      {
        schema: {
          summary: e.summary,
          operationId: e.operationId,
          tags: ['exports'],
          params: timelineParams,
          response: timelineResponse(e.what),
        },
      },
      async (request, reply) => {
        const a = await load(request.params.id, request.principal.tenantId);
        const format = request.params.format;
        const body = e.render(a.id, a.results, format);
        if (body === null) throw new AppError(e.missing, `Analysis ${a.id} has no ${e.name}`);
        return reply
          .type(TIMELINE_CONTENT_TYPES[format])
          .header('content-disposition', `inline; filename="${a.id}-${e.name}.${format}"`)
          .send(body);
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
          200: Type.Object(
            {
              analysis_id: Type.String({ format: 'uuid' }),
              status: Type.Literal('completed'),
              results: AnalysisResultsSchema,
            },
            { description: 'The analysis id, its status and its results object' },
          ),
          409: ProblemSchema,
          ...problems,
        },
      },
      serializerCompiler: serializeAsIs,
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
