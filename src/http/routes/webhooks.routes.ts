/**
 * `/api/webhooks`: a tenant's endpoints (the secret is shown once, at creation and at
 * rotation), test pings, and one endpoint's delivery log (the tenant-wide log and
 * redelivery are in webhook-deliveries.routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import type { WebhookService } from '../../domain/webhook/webhook.service.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import { deliveryView, endpointView, listPage } from '../webhook.presenter.ts';
import {
  DeliveryListSchema,
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
} from '../schemas/webhook.schemas.ts';

export interface WebhookRoutesDeps {
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
  webhooks: WebhookService;
}

export const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema };

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
        response: { 201: EndpointWithSecretSchema, ...problems, 409: ProblemSchema },
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
