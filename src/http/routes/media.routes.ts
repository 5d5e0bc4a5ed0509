/**
 * The media analysis API: analyze, status, history, retry, cancel, delete.
 * Mounted at /api/media and /api/v1/media.
 */
import crypto from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errors } from '../../domain/errors.ts';
import {
  canonicalJson,
  estimateSeconds,
  sha256Hex,
  type AnalysisService,
  type CreateAnalysisInput,
} from '../../domain/analysis/analysis.service.ts';
import type { Actor, Analysis, MediaType } from '../../domain/analysis/analysis.types.ts';
import type { AnalysisStage } from '../../domain/analysis/analysis-stage.types.ts';
import { stageFields } from '../schemas/stage-status.schemas.ts';
import { idempotencyRepository } from '../../persistence/idempotency.repository.ts';
import type { Db } from '../../persistence/database.ts';
import { sourcePath, type Storage, type StoredFile } from '../../storage/storage.ts';
import { sendArtifact, type ArtifactDelivery } from '../artifact-delivery.ts';
import { checkMediaUrl } from '../../net/safe-download.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { bodyAjv } from '../plugins/validation.ts';
import { fieldErrors, isDatabaseUnavailable, problemBody, PROBLEM_CONTENT_TYPE } from '../problem.ts';
import { mediaFileRepository } from '../../persistence/media-file.repository.ts';
import { statusKey, type AppCache } from '../../cache/cache.ts';
import {
  AcceptedSchema,
  ArtifactListSchema,
  ArtifactParamsSchema,
  ProblemSchema,
  AnalyzeBodySchema,
  HistoryQuerySchema,
  HistoryResponseSchema,
  IdParamsSchema,
  StatusResponseSchema,
  type AnalyzeBody,
} from '../schemas/media.schemas.ts';

export interface MediaRoutesDeps {
  db: Db;
  analyses: AnalysisService;
  keys: ApiKeyService;
  storage: Storage;
  authMode: 'api_key' | 'disabled';
  maxUploadBytes: number;
  idempotencyTtlHours: number;
  uploadRetentionDays: number;
  cache?: AppCache | undefined;
  /** Requests per key per window (0 = off); Redis-backed when the cache uses Redis. */
  rateLimit?: { max: number; windowMs: number; redis?: unknown } | undefined;
  cacheTtl?: { status: number; result: number; history: number } | undefined;
  /** Public path prefix used in Location headers. */
  locationPrefix: string;
  /** How artifact downloads are served (default: proxied with Range). */
  artifactDelivery?: { mode: ArtifactDelivery; ttlSeconds: number } | undefined;
}

const validateAnalyzeBody = bodyAjv.compile(AnalyzeBodySchema);
/** Offset paging stops here (like a search engine's result window); deeper pages use the cursor. */
export const MAX_OFFSET_ROWS = 10_000;
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const MULTIPART_JSON_FIELDS = new Set(['config', 'options', 'metadata']);

const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  410: ProblemSchema,
  413: ProblemSchema,
  422: ProblemSchema,
};

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function toStatusResponse(a: Analysis, stages: readonly AnalysisStage[]) {
  const summary = a.results && typeof a.results.summary === 'string' ? a.results.summary : null;
  return {
    analysis_id: a.id,
    status: a.status,
    progress: a.progress,
    media_type: a.mediaType,
    source_url: a.sourceUrl,
    original_filename: a.originalFilename,
    prompt: a.prompt,
    correlation_id: a.correlationId,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    started_at: iso(a.startedAt),
    completed_at: iso(a.completedAt),
    result_summary: summary,
    results: a.results,
    model_used: a.modelUsed,
    latency_ms: a.latencyMs,
    error_message: a.errorMessage,
    error_code: a.errorCode,
    retry_count: a.retryCount,
    metadata: a.metadata,
    ...stageFields(a, stages),
  };
}

function toHistoryItem(a: Analysis) {
  return {
    analysis_id: a.id,
    status: a.status,
    progress: a.progress,
    media_type: a.mediaType,
    prompt: a.prompt.length > 200 ? `${a.prompt.slice(0, 197)}...` : a.prompt,
    source_url: a.sourceUrl,
    original_filename: a.originalFilename,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    completed_at: iso(a.completedAt),
    error_code: a.errorCode,
    retry_count: a.retryCount,
  };
}

/** One `bytes=` range (start-end, start-, or -suffix); null when absent or not a single byte range. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

interface Cursor {
  s: string;
  i: string;
  b: string;
  o: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(raw: string, sortBy: string, order: string): { sortValue: Date; id: string } {
  let c: Partial<Cursor>;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw errors.invalidParameter('cursor', 'is not a valid cursor');
  }
  const d = new Date(String(c.s));
  if (typeof c.i !== 'string' || !/^[0-9a-f-]{36}$/i.test(c.i) || Number.isNaN(d.getTime()))
    throw errors.invalidParameter('cursor', 'is not a valid cursor');
  if (c.b !== sortBy || c.o !== order)
    throw errors.invalidParameter('cursor', 'was issued for a different sort_by/order');
  return { sortValue: d, id: c.i };
}

function actorOf(request: FastifyRequest): Actor {
  return { id: request.principal.keyId, ip: request.ip ?? null, correlationId: request.id };
}

interface ParsedSubmission {
  body: AnalyzeBody;
  upload: (StoredFile & { originalFilename: string | null; mime: string | null }) | null;
}

/** Stream a multipart upload straight into storage while collecting its fields. */
async function readMultipart(
  request: FastifyRequest,
  storage: Storage,
  id: string,
  createdAt: Date,
  maxBytes: number,
): Promise<ParsedSubmission> {
  const fields: Record<string, unknown> = {};
  let upload: ParsedSubmission['upload'] = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || upload) {
          part.file.resume();
          throw errors.validation([
            { field: part.fieldname, message: 'send exactly one file, in the part named "file"' },
          ]);
        }
        const stored = await storage.writeStream(sourcePath(id, createdAt), part.file, { maxBytes });
        upload = {
          ...stored,
          originalFilename: part.filename ? part.filename.slice(0, 255) : null,
          mime: part.mimetype ?? null,
        };
        // The multipart parser stops at the limit and marks the stream truncated.
        if (part.file.truncated) throw new AppError('MEDIA_TOO_LARGE', `The upload exceeds ${maxBytes} bytes`);
      } else {
        const value = String(part.value);
        if (MULTIPART_JSON_FIELDS.has(part.fieldname)) {
          try {
            fields[part.fieldname] = JSON.parse(value);
          } catch {
            throw errors.validation([{ field: part.fieldname, message: 'must be a JSON object' }]);
          }
        } else {
          fields[part.fieldname] = value;
        }
      }
    }
  } catch (err) {
    if (upload) await storage.remove(upload.relativePath);
    throw err;
  }
  if (!validateAnalyzeBody(fields)) {
    if (upload) await storage.remove(upload.relativePath);
    throw errors.validation(fieldErrors(validateAnalyzeBody.errors ?? []));
  }
  return { body: fields as AnalyzeBody, upload };
}

export async function mediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
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
      errorResponseBuilder: (_request, context) =>
        new AppError(
          'RATE_LIMITED',
          `At most ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s for this API key; retry in ${Math.ceil(context.ttl / 1000)} s`,
          {
            headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
          },
        ),
    });
  }
  const location = (id: string) => `${deps.locationPrefix}/status/${id}`;

  const renderAccepted = (a: Analysis) => ({
    analysis_id: a.id,
    status: 'pending' as const,
    estimated_time: estimateSeconds(a.mediaType),
    message: 'Analysis accepted; poll the status URL for progress.',
    correlation_id: a.correlationId,
    status_url: location(a.id),
  });

  r.post(
    '/analyze',
    {
      schema: {
        summary: 'Submit media (URL or multipart upload) and a prompt for analysis',
        tags: ['media'],
        body: AnalyzeBodySchema,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string' } } },
        response: { 202: AcceptedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const id = crypto.randomUUID();
      const createdAt = new Date();
      let submission: ParsedSubmission;
      if (request.isMultipart()) {
        submission = await readMultipart(request, deps.storage, id, createdAt, deps.maxUploadBytes);
      } else {
        if (request.body === undefined || request.body === null)
          throw errors.validation([{ field: 'prompt', message: "must have required property 'prompt'" }]);
        submission = { body: request.body, upload: null };
      }
      const { body, upload } = submission;
      const cleanup = async () => {
        if (upload) await deps.storage.remove(upload.relativePath).catch(() => undefined);
      };
      try {
        if (upload && body.media_url)
          throw errors.validation([{ field: 'media_url', message: 'send either media_url or a file, not both' }]);
        if (!upload && !body.media_url)
          throw errors.validation([{ field: 'media_url', message: 'send media_url or a multipart file' }]);
        if (upload && upload.sizeBytes === 0)
          throw errors.validation([{ field: 'file', message: 'the uploaded file is empty' }]);
        if (body.media_url) {
          try {
            checkMediaUrl(body.media_url);
          } catch (err) {
            throw errors.validation([{ field: 'media_url', message: (err as Error).message }]);
          }
        }
        const input: CreateAnalysisInput = {
          id,
          tenantId: request.principal.tenantId,
          prompt: body.prompt,
          sourceUrl: body.media_url ?? null,
          upload: upload
            ? {
                area: 'uploads',
                storagePath: upload.location,
                relativePath: upload.relativePath,
                sizeBytes: upload.sizeBytes,
                mimeType: null,
                sha256: upload.sha256,
                retentionDays: deps.uploadRetentionDays,
                originalFilename: upload.originalFilename,
              }
            : null,
          mediaType: (body.media_type ?? 'unknown') as MediaType,
          config: body.config ?? {},
          options: body.options ?? {},
          metadata: (body.metadata ?? {}) as Record<string, unknown>,
          correlationId: request.id,
          createdAt,
        };

        const idemKey = request.headers['idempotency-key'];
        if (typeof idemKey === 'string') {
          if (!IDEMPOTENCY_KEY_RE.test(idemKey))
            throw errors.invalidParameter('Idempotency-Key', 'must be 1-255 visible ASCII characters');
          const requestHash = sha256Hex(canonicalJson({ body, file: upload?.sha256 ?? null }));
          const existing = await idempotencyRepository.claim(
            deps.db,
            request.principal.tenantId,
            idemKey,
            requestHash,
            deps.idempotencyTtlHours,
          );
          if (existing) {
            await cleanup();
            if (existing.state === 'in_progress')
              throw new AppError(
                'IDEMPOTENCY_IN_PROGRESS',
                'The first request with this Idempotency-Key is still being processed',
                { headers: { 'retry-after': '1' } },
              );
            if (existing.requestHash !== requestHash)
              throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
            const replay = existing.responseBody ?? {};
            return reply
              .code(existing.responseStatus ?? 202)
              .header('idempotent-replayed', 'true')
              .header('location', location(String(replay.analysis_id)))
              .send(replay as ReturnType<typeof renderAccepted>);
          }
          try {
            const a = await deps.analyses.create(input, actorOf(request), {
              key: idemKey,
              requestHash,
              render: renderAccepted,
            });
            return reply.code(202).header('location', location(a.id)).send(renderAccepted(a));
          } catch (err) {
            await idempotencyRepository.release(deps.db, request.principal.tenantId, idemKey).catch(() => undefined);
            throw err;
          }
        }
        const a = await deps.analyses.create(input, actorOf(request));
        await deps.cache?.bumpGeneration(a.tenantId);
        return reply.code(202).header('location', location(a.id)).send(renderAccepted(a));
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
  );

  r.get(
    '/status/:id',
    {
      schema: {
        summary: 'Status, progress and results of one analysis',
        tags: ['media'],
        params: IdParamsSchema,
        response: { 200: StatusResponseSchema, ...problemResponses },
      },
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
      let a: Analysis;
      let stages: AnalysisStage[];
      try {
        [a, stages] = await Promise.all([
          deps.analyses.get(request.params.id, tenant),
          deps.analyses.stages(request.params.id),
        ]);
      } catch (err) {
        // PostgreSQL away: a recently seen status is better than an error, and says it is stale.
        const stale = cache && isDatabaseUnavailable(err) ? cache.getStale(key) : null;
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
        const ttl =
          a.status === 'completed' || a.status === 'failed' || a.status === 'cancelled'
            ? (deps.cacheTtl?.result ?? 3600)
            : (deps.cacheTtl?.status ?? 300);
        await cache.set(key, JSON.stringify(body), ttl);
        reply.header('x-cache', 'miss');
      }
      return body;
    },
  );

  r.get(
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
      const { cache } = deps;
      const cacheKey = cache
        ? `history:${request.principal.tenantId}:${await cache.generation(request.principal.tenantId)}:${crypto.createHash('sha1').update(canonicalJson(q)).digest('hex')}`
        : null;
      if (cache && cacheKey) {
        const hit = await cache.get(cacheKey);
        if (hit)
          return reply
            .header('x-cache', 'hit')
            .type('application/json; charset=utf-8')
            .send(hit as never);
      }
      const perPage = q.per_page ?? 20;
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
        tenantId: request.principal.tenantId,
        status: q.status,
        mediaType: q.media_type,
        dateFrom,
        dateTo,
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
      const nextCursor =
        more && last
          ? encodeCursor({
              s: (sortBy === 'updated_at' ? last.updatedAt : last.createdAt).toISOString(),
              i: last.id,
              b: sortBy,
              o: order,
            })
          : null;
      const body = {
        data: pageItems.map(toHistoryItem),
        pagination: {
          page,
          per_page: perPage,
          total,
          total_pages: Math.ceil(total / perPage),
          next_cursor: nextCursor,
        },
      };
      if (cache && cacheKey) await cache.set(cacheKey, JSON.stringify(body), deps.cacheTtl?.history ?? 60);
      return body;
    },
  );

  const transitionRoute = (
    method: 'POST' | 'DELETE',
    path: string,
    summary: string,
    action: (id: string, tenant: string, actor: Actor) => Promise<Analysis>,
    code: 200 | 204,
  ) =>
    r.route({
      method,
      url: path,
      schema: {
        summary,
        tags: ['media'],
        params: IdParamsSchema,
        response: {
          ...(code === 200 ? { 200: StatusResponseSchema } : { 204: { type: 'null', description: 'Deleted' } }),
          ...problemResponses,
        },
      },
      handler: async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const a = await action(request.params.id, request.principal.tenantId, actorOf(request));
        // The change notification invalidates every process's cache; this one drops its copy now.
        await deps.cache?.del(statusKey(request.principal.tenantId, a.id));
        await deps.cache?.bumpGeneration(request.principal.tenantId);
        if (code === 204) return reply.code(204).send();
        return reply.code(200).send(toStatusResponse(a, await deps.analyses.stages(a.id)));
      },
    });

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
      const a = await deps.analyses.get(request.params.id, request.principal.tenantId);
      const files = await mediaFileRepository.listForAnalysis(deps.db, a.id);
      return {
        data: files.map((f) => ({
          id: f.id,
          area: f.area,
          name: path.posix.basename(f.relative_path),
          mime_type: f.mime_type,
          size_bytes: Number(f.size_bytes),
          sha256: f.sha256,
          created_at: f.created_at.toISOString(),
          expires_at: f.expires_at ? f.expires_at.toISOString() : null,
          url: `${deps.locationPrefix}/${a.id}/artifacts/${f.id}`,
        })),
      };
    },
  );

  r.get(
    '/:id/artifacts/:artifactId',
    { schema: { summary: 'Download one artifact (supports Range)', tags: ['media'], params: ArtifactParamsSchema } },
    async (request, reply) => {
      const a = await deps.analyses.get(request.params.id, request.principal.tenantId);
      const file = (await mediaFileRepository.listForAnalysis(deps.db, a.id)).find(
        (f) => f.id === request.params.artifactId,
      );
      if (!file)
        throw new AppError('ARTIFACT_NOT_FOUND', `No artifact ${request.params.artifactId} for analysis ${a.id}`);
      return sendArtifact(
        request,
        reply,
        deps.storage,
        { relativePath: file.relative_path, mimeType: file.mime_type, name: path.posix.basename(file.relative_path) },
        deps.artifactDelivery ?? { mode: 'proxy', ttlSeconds: 300 },
      );
    },
  );

  transitionRoute(
    'POST',
    '/:id/retry',
    'Retry a failed or cancelled analysis',
    (id, t, a) => deps.analyses.retry(id, t, a),
    200,
  );
  transitionRoute(
    'POST',
    '/:id/cancel',
    'Cancel a pending or processing analysis',
    (id, t, a) => deps.analyses.cancel(id, t, a),
    200,
  );
  transitionRoute(
    'DELETE',
    '/:id',
    'Soft-delete an analysis (its files are cleaned up later)',
    (id, t, a) => deps.analyses.delete(id, t, a),
    204,
  );
}
