/**
 * Webhook endpoints of a tenant: create (the secret is returned once), list, change,
 * delete, rotate the secret with a grace period, send a test ping; and the delivery log
 * (every attempt, per endpoint or per analysis) with redelivery.
 */
import type { Db } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import { AppError } from '../errors.ts';
import {
  buildEnvelope,
  checkWebhookUrlShape,
  generateSecret,
  isDelivered,
  isWebhookEventType,
  messageId,
} from './webhook.policy.ts';
import {
  DEFAULT_WEBHOOK_EVENTS,
  WEBHOOK_EVENT_TYPES,
  type SigningSecrets,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from '../../contract/webhook.types.ts';

/** Sends one signed request; the network adapter (`src/net/webhook-sender.ts`) in production. */
export type WebhookSend = (req: { url: string; messageId: string; body: string; secrets: SigningSecrets }) => Promise<{
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
}>;

export interface WebhookServiceDeps {
  db: Db;
  repositories: Pick<Repositories, 'webhookDeliveries' | 'webhookEndpoints' | 'webhookTenantSecrets'>;
  /** Throws WEBHOOK_URL_INVALID / WEBHOOK_URL_FORBIDDEN for a URL that must not be called. */
  checkAddress: (url: URL) => Promise<void>;
  send: WebhookSend;
  /** How long a rotated-out secret keeps signing (as a second signature). */
  rotationGraceSeconds: number;
  /** How long a test ping's delivery stays leased to the API while it sends it. */
  leaseSeconds: number;
  /** Endpoints one tenant may register (each one multiplies every event's deliveries). */
  maxEndpointsPerTenant?: number;
}

export interface EndpointInput {
  url: string;
  events?: string[] | undefined;
  description?: string | undefined;
  enabled?: boolean | undefined;
}

export interface DeliveryWithAttempts extends WebhookDelivery {
  attemptLog: WebhookAttempt[];
}

function checkEvents(events: readonly string[]): WebhookEventType[] {
  const bad = events.filter((e) => !isWebhookEventType(e));
  if (bad.length > 0) {
    throw new AppError('VALIDATION_FAILED', `Unknown event type(s): ${bad.join(', ')}`, {
      errors: bad.map((e) => ({
        field: 'events',
        message: `${e} is not one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      })),
    });
  }
  if (events.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'events must name at least one event type', {
      errors: [{ field: 'events', message: 'must not be empty' }],
    });
  }
  return [...new Set(events)] as WebhookEventType[];
}

export class WebhookService {
  private readonly deps: WebhookServiceDeps;
  private readonly endpoints: Repositories['webhookEndpoints'];
  private readonly deliveryLog: Repositories['webhookDeliveries'];

  constructor(deps: WebhookServiceDeps) {
    this.deps = deps;
    this.endpoints = deps.repositories.webhookEndpoints;
    this.deliveryLog = deps.repositories.webhookDeliveries;
  }

  /** Validate a callback URL: shape first (no network), then where it resolves to. */
  async checkUrl(raw: string): Promise<string> {
    const url = checkWebhookUrlShape(raw);
    await this.deps.checkAddress(url);
    return url.toString();
  }

  async create(tenantId: string, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const max = this.deps.maxEndpointsPerTenant;
    if (max !== undefined && (await this.endpoints.listEndpoints(this.deps.db, tenantId)).length >= max)
      throw new AppError('WEBHOOK_ENDPOINT_LIMIT', `A tenant may register at most ${max} webhook endpoints`);
    const url = await this.checkUrl(input.url);
    const events = checkEvents(input.events ?? DEFAULT_WEBHOOK_EVENTS);
    const secret = generateSecret();
    const endpoint = await this.endpoints.createEndpoint(this.deps.db, {
      tenantId,
      url,
      events,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      secret,
    });
    return { endpoint, secret };
  }

  list(tenantId: string): Promise<WebhookEndpoint[]> {
    return this.endpoints.listEndpoints(this.deps.db, tenantId);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpoint> {
    const e = await this.endpoints.findEndpoint(this.deps.db, id, tenantId);
    if (!e) throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint with id ${id}`);
    return e;
  }

  async update(tenantId: string, id: string, patch: Partial<EndpointInput>): Promise<WebhookEndpoint> {
    const url = patch.url === undefined ? undefined : await this.checkUrl(patch.url);
    const events = patch.events === undefined ? undefined : checkEvents(patch.events);
    const e = await this.endpoints.updateEndpoint(this.deps.db, id, tenantId, {
      ...(url !== undefined ? { url } : {}),
      ...(events !== undefined ? { events } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    if (!e) throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint with id ${id}`);
    return e;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.endpoints.deleteEndpoint(this.deps.db, id, tenantId)))
      throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint with id ${id}`);
  }

  /** A new secret, returned once; the old one keeps signing for `graceSeconds`. */
  async rotate(
    tenantId: string,
    id: string,
    graceSeconds = this.deps.rotationGraceSeconds,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const secret = generateSecret();
    const endpoint = await this.endpoints.rotateEndpointSecret(this.deps.db, id, tenantId, secret, graceSeconds);
    if (!endpoint) throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint with id ${id}`);
    return { endpoint, secret };
  }

  /**
   * The secret that signs callbacks to a request's own `webhook_url`. Rotating creates
   * it when missing; the previous one keeps signing for the grace period.
   */
  async rotateTenantSecret(tenantId: string, graceSeconds = this.deps.rotationGraceSeconds): Promise<string> {
    const secret = generateSecret();
    await this.deps.repositories.webhookTenantSecrets.rotateTenantSecret(this.deps.db, tenantId, secret, graceSeconds);
    return secret;
  }

  /** Send a ping now and return the delivery with its attempt; it is in the log like any other. */
  async test(tenantId: string, id: string): Promise<DeliveryWithAttempts> {
    const endpoint = await this.get(tenantId, id);
    const { db } = this.deps;
    const delivery = await this.deliveryLog.createTestDelivery(db, endpoint, this.deps.leaseSeconds);
    const secrets = await this.endpoints.secretsForEndpoint(db, endpoint.id);
    if (!secrets) throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint with id ${id}`);
    const body = JSON.stringify(buildEnvelope(delivery, null));
    const startedAt = new Date();
    const r = await this.deps.send({ url: endpoint.url, messageId: messageId(delivery.id), body, secrets });
    const delivered = isDelivered(r.statusCode) && r.error === null;
    // A ping is not retried: it answers "does my receiver work now?".
    await this.deliveryLog.recordAttempt(
      db,
      { deliveryId: delivery.id, attempt: 1, startedAt, ...r },
      { state: delivered ? 'delivered' : 'failed', nextAttemptAt: null },
      null,
    );
    return this.delivery(tenantId, delivery.id);
  }

  async delivery(tenantId: string, deliveryId: string): Promise<DeliveryWithAttempts> {
    const d = await this.deliveryLog.findDelivery(this.deps.db, deliveryId, tenantId);
    if (!d) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery with id ${deliveryId}`);
    const attempts = await this.deliveryLog.attemptsFor(this.deps.db, [d.id]);
    return { ...d, attemptLog: attempts };
  }

  async deliveries(
    filter: { tenantId: string; endpointId?: string; analysisId?: string; state?: WebhookDelivery['state'] },
    page: { limit: number; before?: { createdAt: Date; id: string } | undefined },
  ): Promise<DeliveryWithAttempts[]> {
    if (filter.endpointId) await this.get(filter.tenantId, filter.endpointId);
    const list = await this.deliveryLog.listDeliveries(this.deps.db, filter, page);
    const attempts = await this.deliveryLog.attemptsFor(
      this.deps.db,
      list.map((d) => d.id),
    );
    return list.map((d) => ({ ...d, attemptLog: attempts.filter((a) => a.deliveryId === d.id) }));
  }

  /** Queue the delivery again now, with the same webhook-id (receivers can de-duplicate). */
  async redeliver(tenantId: string, deliveryId: string): Promise<WebhookDelivery> {
    const d = await this.deliveryLog.redeliver(this.deps.db, deliveryId, tenantId);
    if (!d) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery with id ${deliveryId}`);
    return d;
  }
}
