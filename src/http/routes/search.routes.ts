/**
 * GET /search: the tenant's library, by words and by meaning (see SearchService).
 * Mounted beside the media routes (/api/media/search, /api/v1/media/search).
 */
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errors } from '../../domain/errors.ts';
import type { SearchService } from '../../domain/search/search.service.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import { SearchQuerySchema, SearchResponseSchema } from '../schemas/search.schemas.ts';

export interface SearchRoutesDeps {
  search: SearchService;
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
  /** Public path prefix of the media routes (links to status and artifacts). */
  locationPrefix: string;
  /** Searches per key per window (0 = off), in their own counter: a search costs more than a status read. */
  rateLimit?: { max: number; windowMs: number; redis?: unknown } | undefined;
}

export async function searchRoutes(app: FastifyInstance, deps: SearchRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  requireApiKey(app, deps.keys, deps.authMode);
  if (deps.rateLimit && deps.rateLimit.max > 0)
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: deps.rateLimit.max,
      timeWindow: deps.rateLimit.windowMs,
      keyGenerator: (request) => `rl-search:${request.principal?.keyId ?? request.ip}`,
      enableDraftSpec: true,
      ...(deps.rateLimit.redis ? { redis: deps.rateLimit.redis as never, skipOnError: true } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `At most ${context.max} searches per window for this API key`, {
          headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        }),
    });
  r.get(
    '/search',
    {
      schema: {
        summary:
          'Search the tenant’s analyses by words and meaning: one hit per analysis that holds a segment at or above the relevance floor, best first, quoting its best segments',
        tags: ['search'],
        querystring: SearchQuerySchema,
        response: { 200: SearchResponseSchema, 400: ProblemSchema, 401: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const q = request.query;
      const dateFrom = q.date_from ? new Date(q.date_from) : undefined;
      const dateTo = q.date_to ? new Date(q.date_to) : undefined;
      if (dateFrom && dateTo && dateFrom > dateTo)
        throw errors.invalidParameter('date_from', 'must not be after date_to');
      const result = await deps.search.search({
        tenantId: request.principal.tenantId,
        query: q.q,
        filters: { mediaType: q.media_type, status: q.status, dateFrom, dateTo },
        limit: q.limit ?? 10,
      });
      // Where the time went, for operators and browsers' network panels (no data in it).
      void reply.header(
        'server-timing',
        Object.entries(result.timings)
          .map(([phase, ms]) => `${phase};dur=${ms}`)
          .join(', '),
      );
      const prefix = deps.locationPrefix;
      return {
        query: result.query,
        terms: result.terms,
        min_score: result.floor,
        data: result.hits.map((h) => ({
          analysis_id: h.analysis.id,
          media_type: h.analysis.mediaType,
          original_filename: h.analysis.originalFilename,
          status: h.analysis.status,
          created_at: h.analysis.createdAt.toISOString(),
          result_summary: h.analysis.resultSummary,
          status_url: `${prefix}/status/${h.analysis.id}`,
          score: h.score,
          segments: h.segments.map((s) => ({
            segment_id: s.segment.id,
            kind: s.segment.kind,
            text: s.segment.text,
            start_seconds: s.segment.startSeconds,
            end_seconds: s.segment.endSeconds,
            page: s.segment.page,
            score: s.score,
            matched_by: s.matchedBy,
            similarity: s.similarity,
            keyframe_url: s.segment.keyframe ? `${prefix}/${h.analysis.id}/artifacts/${s.segment.keyframe}` : null,
          })),
        })),
        stats: {
          text_matches: result.stats.textMatches,
          semantic_candidates: result.stats.semanticCandidates,
          relevant_segments: result.stats.relevantSegments,
          indexed_segments: result.stats.indexedSegments,
          took_ms: Math.round(performance.now() - started),
        },
      };
    },
  );
}
