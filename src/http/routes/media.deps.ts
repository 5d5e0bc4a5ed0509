/** What the media route files share: their dependencies and small request helpers. */
import type { FastifyRequest } from 'fastify';
import type { AnalysisService } from '../../domain/analysis/analysis.service.ts';
import type { Actor } from '../../contract/analysis.types.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AppCache } from '../../cache/cache.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import type { ArtifactDelivery } from '../artifact-delivery.ts';

export interface MediaRoutesDeps {
  analyses: AnalysisService;
  keys: ApiKeyService;
  storage: Storage;
  authMode: 'api_key' | 'disabled';
  maxUploadBytes: number;
  /** DOWNLOAD_ALLOW_HOSTS: literal addresses listed here are not refused at submit. */
  downloadAllowHosts?: readonly string[] | undefined;
  uploadRetentionDays: number;
  cache?: AppCache | undefined;
  /** Requests per key per window (0 = off); Redis-backed when the cache uses Redis. */
  rateLimit?: { max: number; windowMs: number; redis?: unknown } | undefined;
  cacheTtl?: { status: number; result: number; history: number } | undefined;
  /** Checks a request's own webhook_url (shape and address, as for endpoints); absent: the field is refused. */
  checkCallbackUrl?: ((raw: string) => Promise<string>) | undefined;
  /** Public path prefix used in Location headers. */
  locationPrefix: string;
  /** How artifact downloads are served (default: proxied with Range). */
  artifactDelivery?: { mode: ArtifactDelivery; ttlSeconds: number } | undefined;
}

/** The problem+json responses every media route may answer with (for OpenAPI). */
export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  410: ProblemSchema,
  413: ProblemSchema,
  422: ProblemSchema,
};

/** Who is acting: the API key, the client address and the request id. */
export function actorOf(request: FastifyRequest): Actor {
  return { id: request.principal.keyId, ip: request.ip ?? null, correlationId: request.id };
}

/** The URL a client polls for an analysis. */
export function statusUrl(deps: MediaRoutesDeps, id: string): string {
  return `${deps.locationPrefix}/status/${id}`;
}
