/**
 * Builds the Fastify application: request ids, problem+json errors, OpenAPI, health,
 * and the media routes (mounted at /api/media and /api/v1/media).
 */
import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from '../observability/logger.ts';
import { registerProblemHandlers } from './problem.ts';
import { validatorCompiler } from './plugins/validation.ts';
import { registerInputGuards } from './plugins/input-guard.ts';
import {
  CONNECTIONS_CHECK_INTERVAL_MS,
  registerUploadIdleTimeout,
  slowClientErrorHandler,
} from './plugins/slow-client.ts';
import { mediaRoutes } from './routes/media.routes.ts';
import type { MediaRoutesDeps } from './routes/media.deps.ts';
import { healthRoutes, type HealthDeps } from './routes/health.routes.ts';
import { adminKeyRoutes } from './routes/admin-keys.routes.ts';
import { consoleBuilt, consoleRoutes, type ConsoleRoutesOptions } from './routes/console.routes.ts';
import { searchRoutes } from './routes/search.routes.ts';
import { peopleRoutes } from './routes/people.routes.ts';
import type { PeopleService } from '../domain/people/people.service.ts';
import type { SearchService } from '../domain/search/search.service.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AppConfig } from '../config/config.ts';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries.routes.ts';
import { webhookRoutes } from './routes/webhooks.routes.ts';
import { analysisEventRoutes, tenantEventRoutes } from './routes/events.routes.ts';
import { exportRoutes } from './routes/exports.routes.ts';
import type { WebhookService } from '../domain/webhook/webhook.service.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { AnalysisEventService } from '../domain/analysis/analysis-events.service.ts';
import { finishDocument } from './openapi.ts';
import { registerRateLimit } from './plugins/rate-limit.plugin.ts';

/** The media routes' settings that come straight from configuration (shared by every entry point). */
export function mediaSettings(config: AppConfig) {
  return {
    authMode: config.auth.mode,
    maxUploadBytes: config.limits.maxUploadBytes,
    downloadAllowHosts: config.limits.downloadAllowHosts,
    uploadRetentionDays: config.storage.retentionDays.uploads,
    cacheTtl: { status: config.cache.statusTtl, result: config.cache.resultTtl, history: config.cache.historyTtl },
    artifactDelivery: { mode: config.storage.artifactDelivery, ttlSeconds: config.storage.artifactUrlTtlSeconds },
  };
}

/** A client's X-Request-Id is kept only if it looks like an id, not arbitrary text. */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppDeps {
  logger: Logger;
  bodyLimitBytes: number;
  /** Proxies trusted to name the client in X-Forwarded-For (per-address limits need the real client). */
  trustProxy?: readonly string[];
  /** Slow-client limits (config.http); Node's defaults when absent. */
  timeouts?: { headersMs: number; requestMs: number; uploadIdleMs: number };
  /** Bearer token GET /metrics requires (config.http.metricsToken); open when absent. */
  metricsToken?: string | undefined;
  media: Omit<MediaRoutesDeps, 'locationPrefix'>;
  health: HealthDeps;
  metrics?: Metrics;
  /** Library search (built by the runtime, with a lazily started embedding worker). */
  search: SearchService;
  /** People across the library (/api/people); absent: the routes are not served. */
  people?: PeopleService;
  /** Webhooks, live events and exports (src/http/routes/{webhooks,events,exports}.routes.ts). */
  integrations?: {
    events: AnalysisEventService;
    webhooks: WebhookService;
    hub: EventHub;
    heartbeatMs: number;
    /** Open event streams per tenant per process; beyond it 429 TOO_MANY_STREAMS. */
    maxStreamsPerTenant?: number;
  };
  /** The web console at `/` (served when built); false turns it off. */
  console?: ConsoleRoutesOptions | false;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const closed = (reason: 'request_timeout' | 'body_idle') => deps.metrics?.connectionsClosed.inc({ reason });
  const { timeouts } = deps;
  const app = Fastify({
    ...(timeouts
      ? {
          requestTimeout: timeouts.requestMs,
          http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS },
        }
      : {}),
    clientErrorHandler: slowClientErrorHandler(closed),
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    trustProxy: deps.trustProxy?.length ? [...deps.trustProxy] : false,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Synchronous hooks take the callback form: an async hook costs a promise and a
  // microtask turn per request for nothing (they are on every request's path).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerProblemHandlers(app);
  // Only JSON and multipart bodies are accepted (the OpenAPI document says 415 for the rest):
  // Fastify's built-in text/plain parser would hand a string to JSON-schema validation.
  app.removeContentTypeParser('text/plain');
  registerInputGuards(app);
  if (timeouts) registerUploadIdleTimeout(app, { uploadIdleTimeoutMs: timeouts.uploadIdleMs, onClosed: closed });
  deps.metrics?.instrument(app, deps.metricsToken);

  await app.register(multipart, {
    limits: { fileSize: deps.media.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 25 },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'media-analysis', version: '0.1.0', description: 'Media analysis job service' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    // A schema with an `$id` (the results contract's sections, the webhook shapes) becomes the
    // component of that name, so the SDK's generated types are named after it too.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transformObject: (documentObject) =>
      'openapiObject' in documentObject ? finishDocument(documentObject.openapiObject) : documentObject.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await registerRateLimit(app, deps.media.rateLimit);
  await app.register(healthRoutes, deps.health);
  const webhooks = deps.integrations?.webhooks;
  const media = { ...deps.media, checkCallbackUrl: webhooks ? (raw: string) => webhooks.checkUrl(raw) : undefined };
  await app.register(mediaRoutes, { ...media, prefix: '/api/media', locationPrefix: '/api/media' });
  await app.register(mediaRoutes, { ...media, prefix: '/api/v1/media', locationPrefix: '/api/v1/media' });
  const { search } = deps;
  for (const prefix of ['/api/media', '/api/v1/media'])
    await app.register(searchRoutes, {
      search,
      keys: deps.media.keys,
      authMode: deps.media.authMode,
      rateLimit: deps.media.rateLimit,
      prefix,
      locationPrefix: prefix,
    });
  if (deps.people)
    await app.register(peopleRoutes, {
      people: deps.people,
      keys: deps.media.keys,
      authMode: deps.media.authMode,
      mediaPrefix: '/api/media',
      prefix: '/api/people',
    });
  if (deps.integrations) await registerIntegrations(app, deps, deps.integrations);
  await app.register(adminKeyRoutes, {
    keys: deps.media.keys,
    authMode: deps.media.authMode,
    prefix: '/api/admin/keys',
  });
  if (deps.console !== false && consoleBuilt(deps.console?.root)) await app.register(consoleRoutes, deps.console ?? {});
  else if (deps.console !== false) deps.logger.warn('the web console is not built (npm run build); / is not served');
  return app;
}

async function registerIntegrations(
  app: FastifyInstance,
  deps: AppDeps,
  integrations: NonNullable<AppDeps['integrations']>,
): Promise<void> {
  const base = { keys: deps.media.keys, authMode: deps.media.authMode };
  const events = {
    ...base,
    events: integrations.events,
    hub: integrations.hub,
    heartbeatMs: integrations.heartbeatMs,
    maxStreamsPerTenant: integrations.maxStreamsPerTenant,
  };
  await app.register(webhookRoutes, { ...base, webhooks: integrations.webhooks, prefix: '/api/webhooks' });
  await app.register(webhookDeliveryRoutes, {
    ...base,
    webhooks: integrations.webhooks,
    prefix: '/api/webhook-deliveries',
  });
  await app.register(tenantEventRoutes, { ...events, prefix: '/api/events' });
  for (const prefix of ['/api/media', '/api/v1/media']) {
    await app.register(analysisEventRoutes, { ...events, prefix });
    await app.register(exportRoutes, { ...base, analyses: deps.media.analyses, prefix });
  }
}
