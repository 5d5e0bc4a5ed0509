/** `/api/webhook-deliveries`: the tenant's whole delivery log, one delivery with its attempts, and redelivery. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { deliveryView, listPage } from '../webhook.presenter.ts';
import {
  DeliveryListSchema,
  DeliveryParamsSchema,
  DeliveryQuerySchema,
  DeliverySchema,
} from '../schemas/webhook.schemas.ts';
import { problems, type WebhookRoutesDeps } from './webhooks.routes.ts';

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
