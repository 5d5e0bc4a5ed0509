/** GET /history: the tenant's analyses with filters, offset pages and a keyset cursor. */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errors } from '../../domain/errors.ts';
import type { AnalysisListItem } from '../../contract/analysis.types.ts';
import { canonicalJson } from '../../domain/analysis/fingerprint.ts';
import { toHistoryItem } from '../analysis.presenter.ts';
import { decodeCursor, encodeCursor, MAX_OFFSET_ROWS } from '../pagination.ts';
import { HistoryQuerySchema, HistoryResponseSchema } from '../schemas/media.schemas.ts';
import { problemResponses, type MediaRoutesDeps } from './media.deps.ts';

/** Cache lifetime (seconds) of a history page when the configuration gives none. */
const DEFAULT_HISTORY_TTL = 60;
const DEFAULT_PER_PAGE = 20;

export function historyRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/history',
    {
      schema: {
        summary: "The tenant's analyses, newest first, with filters and paging",
        tags: ['media'],
        querystring: HistoryQuerySchema,
        response: { 200: HistoryResponseSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const tenant = request.principal.tenantId;
      const { cache } = deps;
      // The tenant's generation changes on every write, so old pages are simply never read again.
      const cacheKey = cache
        ? `history:${tenant}:${await cache.generation(tenant)}:${crypto.createHash('sha1').update(canonicalJson(q)).digest('hex')}`
        : null;
      if (cache && cacheKey) {
        const hit = await cache.get(cacheKey);
        if (hit)
          return reply
            .header('x-cache', 'hit')
            .type('application/json; charset=utf-8')
            .send(hit as never);
      }
      const perPage = q.per_page ?? DEFAULT_PER_PAGE;
      const page = q.page ?? 1;
      const sortBy: 'created_at' | 'updated_at' = q.sort_by ?? 'created_at';
      const order = q.order ?? 'desc';
      const dateFrom = q.date_from ? new Date(q.date_from) : undefined;
      const dateTo = q.date_to ? new Date(q.date_to) : undefined;
      if (dateFrom && dateTo && dateFrom > dateTo)
        throw errors.invalidParameter('date_from', 'must not be after date_to');
      const after = q.cursor ? decodeCursor(q.cursor, sortBy, order) : undefined;
      if (!after && (page - 1) * perPage >= MAX_OFFSET_ROWS) {
        throw errors.invalidParameter(
          'page',
          `offset paging ends at ${MAX_OFFSET_ROWS} rows; follow pagination.next_cursor to go deeper`,
        );
      }
      const filter = {
        tenantId: tenant,
        status: q.status,
        mediaType: q.media_type,
        dateFrom,
        dateTo,
        includeArchived: q.include_archived === true,
      };
      const { items, total } = await deps.analyses.list(filter, {
        sortBy,
        order,
        limit: perPage + 1,
        offset: (page - 1) * perPage,
        after,
      });
      const more = items.length > perPage;
      const pageItems = more ? items.slice(0, perPage) : items;
      const last = pageItems[pageItems.length - 1];
      const cursorAfter = (a: AnalysisListItem) =>
        encodeCursor({
          s: (sortBy === 'updated_at' ? a.updatedAt : a.createdAt).toISOString(),
          i: a.id,
          b: sortBy,
          o: order,
        });
      const body = {
        data: pageItems.map(toHistoryItem),
        pagination: {
          page,
          per_page: perPage,
          total,
          total_pages: Math.ceil(total / perPage),
          next_cursor: more && last ? cursorAfter(last) : null,
        },
      };
      if (cache && cacheKey)
        await cache.set(cacheKey, JSON.stringify(body), deps.cacheTtl?.history ?? DEFAULT_HISTORY_TTL);
      return body;
    },
  );
}
