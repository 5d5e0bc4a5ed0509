/**
 * `/api/webhooks`: a tenant's endpoints (the secret is shown once, at creation and at
 * rotation), test pings, and the delivery log with redelivery.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import type { DeliveryWithAttempts, WebhookService } from '../../domain/webhook/webhook.service.ts';
import type { WebhookEndpoint } from '../../domain/webhook/webhook.types.ts';
import { messageId } from '../../domain/webhook/webhook.policy.ts';
import { errors } from '../../domain/errors.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import {
  DeliveryListSchema,
  DeliveryParamsSchema,
  DeliveryQuerySchema,
  DeliverySchema,
  EndpointBodySchema,
  EndpointListSchema,
  EndpointParamsSchema,
  EndpointPatchSchema,
  EndpointSchema,
  EndpointWithSecretSchema,
  RotateBodySchema,
  SecretSchema,
  type DeliveryQuery,
} from '../schemas/webhook.schemas.ts';

export interface WebhookRoutesDeps {
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
  webhooks: WebhookService;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    failing_since: iso(e.failingSince),
    disabled_at: iso(e.disabledAt),
    disabled_reason: e.disabledReason,
    previous_secret_expires_at: iso(e.previousSecretExpiresAt),
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function deliveryView(d: DeliveryWithAttempts) {
  return {
    id: d.id,
    webhook_id: messageId(d.id),
    endpoint_id: d.endpointId,
    url: d.url,
    event_type: d.eventType,
    analysis_id: d.analysisId,
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    last_status: d.lastStatus,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    delivered_at: iso(d.deliveredAt),
    attempt_log: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      started_at: a.startedAt.toISOString(),
      latency_ms: a.latencyMs,
      status_code: a.statusCode,
      response_body: a.responseBody,
      error: a.error,
    })),
  };
}

/** Opaque keyset cursor over (created_at, id) of the delivery log. */
export function encodeDeliveryCursor(d: { createdAt: Date; id: string }): string {
  return Buffer.from(`${d.createdAt.toISOString()}|${d.id}`).toString('base64url');
}

export function decodeDeliveryCursor(raw: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!raw) return undefined;
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id))
    throw errors.invalidParameter('cursor', 'not a cursor returned by this API');
  return { createdAt, id };
}

async function listPage(
  webhooks: WebhookService,
  tenantId: string,
  q: DeliveryQuery,
  endpointId?: string,
): Promise<{ data: ReturnType<typeof deliveryView>[]; next_cursor: string | null }> {
  const limit = q.limit ?? 20;
  const list = await webhooks.deliveries(
    {
      tenantId,
      ...(endpointId ? { endpointId } : {}),
      ...(q.analysis_id ? { analysisId: q.analysis_id } : {}),
      ...(q.state ? { state: q.state } : {}),
    },
    { limit, before: decodeDeliveryCursor(q.cursor) },
  );
  const last = list.at(-1);
  return {
    data: list.map(deliveryView),
    next_cursor: list.length === limit && last ? encodeDeliveryCursor(last) : null,
  };
}

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema };

export async function webhookRoutes(app: FastifyInstance, deps: WebhookRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks } = deps;

  r.post(
    '',
    {
      schema: {
        summary: 'Register a webhook endpoint (its secret is returned once)',
        operationId: 'createWebhook',
        tags: ['webhooks'],
        body: EndpointBodySchema,
        response: { 201: EndpointWithSecretSchema, ...problems },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.create(request.principal.tenantId, request.body);
      return reply
        .code(201)
        .header('location', `/api/webhooks/${endpoint.id}`)
        .send({ ...endpointView(endpoint), secret });
    },
  );

  r.get(
    '',
    {
      schema: {
        summary: "The tenant's webhook endpoints",
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        response: { 200: EndpointListSchema, 401: ProblemSchema },
      },
    },
    async (request) => ({ data: (await webhooks.list(request.principal.tenantId)).map(endpointView) }),
  );

  r.post(
    '/tenant-secret',
    {
      schema: {
        summary: "Create or rotate the secret that signs callbacks to a request's own webhook_url",
        description: 'Returned once. The previous secret keeps signing (as a second signature) for grace_seconds.',
        operationId: 'rotateTenantWebhookSecret',
        tags: ['webhooks'],
        body: RotateBodySchema,
        response: { 200: SecretSchema, ...problems },
      },
    },
    async (request) => ({
      secret: await webhooks.rotateTenantSecret(request.principal.tenantId, request.body?.grace_seconds),
    }),
  );

  r.get(
    '/:id',
    {
      schema: {
        summary: 'One webhook endpoint (disabled_reason says why it was switched off)',
        operationId: 'getWebhook',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        response: { 200: EndpointSchema, ...problems },
      },
    },
    async (request) => endpointView(await webhooks.get(request.principal.tenantId, request.params.id)),
  );

  r.patch(
    '/:id',
    {
      schema: {
        summary: 'Change an endpoint (enabled: true re-enables one that was disabled)',
        operationId: 'updateWebhook',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        body: EndpointPatchSchema,
        response: { 200: EndpointSchema, ...problems },
      },
    },
    async (request) => endpointView(await webhooks.update(request.principal.tenantId, request.params.id, request.body)),
  );

  r.delete(
    '/:id',
    {
      schema: {
        summary: 'Delete an endpoint and its delivery log',
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        response: { 204: { description: 'Deleted', type: 'null' }, ...problems },
      },
    },
    async (request, reply) => {
      await webhooks.remove(request.principal.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/:id/rotate-secret',
    {
      schema: {
        summary: 'New signing secret (returned once); the old one keeps signing for grace_seconds',
        operationId: 'rotateWebhookSecret',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        body: RotateBodySchema,
        response: { 200: EndpointWithSecretSchema, ...problems },
      },
    },
    async (request) => {
      const { endpoint, secret } = await webhooks.rotate(
        request.principal.tenantId,
        request.params.id,
        request.body?.grace_seconds,
      );
      return { ...endpointView(endpoint), secret };
    },
  );

  r.post(
    '/:id/test',
    {
      schema: {
        summary: 'Send a signed test ping now and return the attempt',
        operationId: 'testWebhook',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        response: { 200: DeliverySchema, ...problems },
      },
    },
    async (request) => deliveryView(await webhooks.test(request.principal.tenantId, request.params.id)),
  );

  r.get(
    '/:id/deliveries',
    {
      schema: {
        summary: "An endpoint's delivery log, newest first, with every attempt",
        operationId: 'listEndpointDeliveries',
        tags: ['webhooks'],
        params: EndpointParamsSchema,
        querystring: DeliveryQuerySchema,
        response: { 200: DeliveryListSchema, ...problems },
      },
    },
    async (request) => listPage(webhooks, request.principal.tenantId, request.query, request.params.id),
  );
}

/** `/api/webhook-deliveries`: the tenant's whole delivery log (filter by analysis_id or state), and redelivery. */
export async function webhookDeliveryRoutes(app: FastifyInstance, deps: WebhookRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks } = deps;

  r.get(
    '',
    {
      schema: {
        summary: 'The delivery log of the tenant (filter by analysis_id or state), newest first',
        operationId: 'listWebhookDeliveries',
        tags: ['webhooks'],
        querystring: DeliveryQuerySchema,
        response: { 200: DeliveryListSchema, ...problems },
      },
    },
    async (request) => listPage(webhooks, request.principal.tenantId, request.query),
  );

  r.get(
    '/:deliveryId',
    {
      schema: {
        summary: 'One delivery with every attempt',
        operationId: 'getWebhookDelivery',
        tags: ['webhooks'],
        params: DeliveryParamsSchema,
        response: { 200: DeliverySchema, ...problems },
      },
    },
    async (request) => deliveryView(await webhooks.delivery(request.principal.tenantId, request.params.deliveryId)),
  );

  r.post(
    '/:deliveryId/redeliver',
    {
      schema: {
        summary: 'Send a delivery again now, with the same webhook-id',
        operationId: 'redeliverWebhook',
        tags: ['webhooks'],
        params: DeliveryParamsSchema,
        response: { 202: DeliverySchema, ...problems },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal.tenantId;
      await webhooks.redeliver(tenantId, request.params.deliveryId);
      return reply.code(202).send(deliveryView(await webhooks.delivery(tenantId, request.params.deliveryId)));
    },
  );
}
