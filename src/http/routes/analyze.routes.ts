/** POST /analyze: submit media (URL or multipart upload) and a prompt. */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errors } from '../../domain/errors.ts';
import type { CreateAnalysisInput } from '../../domain/analysis/submission.types.ts';
import type { Analysis, MediaType } from '../../contract/analysis.types.ts';
import { checkMediaUrl } from '../../net/safe-download.ts';
import { literalHostVerdict } from '../../net/address-policy.ts';
import { readMultipart, type ParsedSubmission, type StoredUpload } from '../multipart-submission.ts';
import { AcceptedSchema, AnalyzeBodySchema, type AnalyzeBody } from '../schemas/media.schemas.ts';
import { actorOf, problemResponses, statusUrl, type MediaRoutesDeps } from './media.deps.ts';

/** The fields a submission must get right before anything is stored for it. */
function checkSubmission(body: AnalyzeBody, upload: StoredUpload | null, allowHosts: readonly string[]): void {
  if (upload && body.media_url)
    throw errors.validation([{ field: 'media_url', message: 'send either media_url or a file, not both' }]);
  if (!upload && !body.media_url)
    throw errors.validation([{ field: 'media_url', message: 'send media_url or a multipart file' }]);
  if (upload && upload.sizeBytes === 0)
    throw errors.validation([{ field: 'file', message: 'the uploaded file is empty' }]);
  // The bytes decide, not the name: an executable renamed .mp4 is refused now, and kept nowhere.
  if (upload && upload.detected.mediaType === 'unknown')
    throw new AppError(
      'UNSUPPORTED_MEDIA',
      `Unrecognised media format (${upload.detected.mime}); send a video, audio file, image or document`,
    );
  if (body.media_url) {
    let url: URL;
    try {
      url = checkMediaUrl(body.media_url);
    } catch (err) {
      throw errors.validation([{ field: 'media_url', message: (err as Error).message }]);
    }
    // An address written in the URL (127.0.0.1, 169.254.169.254, localhost) is refused now;
    // names are judged by the download guard after resolution.
    const verdict = literalHostVerdict(url, allowHosts);
    if (verdict && !verdict.allowed)
      throw new AppError('MEDIA_URL_FORBIDDEN', `media_url points to a forbidden address (${verdict.range})`);
  }
}

/** The request's own webhook_url, checked as a webhook endpoint's URL is (WEBHOOK_URL_INVALID / _FORBIDDEN). */
async function checkCallback(deps: MediaRoutesDeps, raw: string): Promise<string> {
  if (!deps.checkCallbackUrl)
    throw errors.validation([{ field: 'webhook_url', message: 'this server does not send webhooks' }]);
  return deps.checkCallbackUrl(raw);
}

async function readSubmission(
  request: FastifyRequest,
  jsonBody: AnalyzeBody | undefined | null,
  deps: MediaRoutesDeps,
  id: string,
  createdAt: Date,
): Promise<ParsedSubmission> {
  if (request.isMultipart()) return readMultipart(request, deps.storage, id, createdAt, deps.maxUploadBytes);
  if (jsonBody === undefined || jsonBody === null)
    throw errors.validation([{ field: 'prompt', message: "must have required property 'prompt'" }]);
  return { body: jsonBody, upload: null };
}

export function analyzeRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  const renderAccepted = (a: Analysis, estimatedSeconds: number) => ({
    analysis_id: a.id,
    status: 'pending' as const,
    estimated_seconds: estimatedSeconds,
    estimated_time: estimatedSeconds,
    message: 'Analysis accepted; poll the status URL for progress.',
    correlation_id: a.correlationId,
    status_url: statusUrl(deps, a.id),
  });

  app.withTypeProvider<TypeBoxTypeProvider>().post(
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
      const { body, upload } = await readSubmission(request, request.body, deps, id, createdAt);
      const cleanup = async () => {
        if (upload) await deps.storage.remove(upload.relativePath).catch(() => undefined);
      };
      try {
        checkSubmission(body, upload, deps.downloadAllowHosts ?? []);
        const webhookUrl = body.webhook_url === undefined ? null : await checkCallback(deps, body.webhook_url);
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
          mediaType: (body.media_type ?? (upload ? upload.detected.mediaType : 'unknown')) as MediaType,
          config: body.config ?? {},
          options: body.options ?? {},
          metadata: (body.metadata ?? {}) as Record<string, unknown>,
          webhookUrl,
          correlationId: request.id,
          createdAt,
        };
        const estimated = await deps.analyses.estimate(input.mediaType, upload?.sizeBytes ?? null);
        const render = (a: Analysis) => renderAccepted(a, estimated);
        const key = request.headers['idempotency-key'];
        const idempotency =
          typeof key === 'string' ? { key, fingerprint: { body, file: upload?.sha256 ?? null }, render } : undefined;
        const outcome = await deps.analyses.submit(input, actorOf(request), idempotency);
        if (outcome.kind === 'replayed') {
          await cleanup();
          return reply
            .code(outcome.status)
            .header('idempotent-replayed', 'true')
            .header('location', statusUrl(deps, String(outcome.body.analysis_id)))
            .send(outcome.body as ReturnType<typeof renderAccepted>);
        }
        const a = outcome.analysis;
        await deps.cache?.bumpGeneration(a.tenantId);
        return reply.code(202).header('location', statusUrl(deps, a.id)).send(render(a));
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
  );
}
