/**
 * Webhook endpoints and deliveries as the API shows them (ISO times, snake_case), the
 * delivery log's opaque keyset cursor, and one page of that log.
 */
import type { DeliveryWithAttempts, WebhookService } from '../domain/webhook/webhook.service.ts';
import type { WebhookEndpoint } from '../contract/webhook.types.ts';
import { messageId } from '../domain/webhook/webhook.policy.ts';
import { errors } from '../domain/errors.ts';
import type { DeliveryQuery } from './schemas/webhook.schemas.ts';

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

export async function listPage(
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
