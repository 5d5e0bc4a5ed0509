/**
 * Vocabulary of callbacks:
 * - event: one row of the analysis event log (a status, progress or stage change).
 * - endpoint: a tenant's registered receiver URL with its secret and the event types it wants.
 * - delivery: one event (or test ping) owed to one URL; it keeps one `webhook-id` for life,
 *   so a receiver can drop duplicates.
 * - attempt: one HTTP try of a delivery, kept in the delivery log.
 */

/** Event types a webhook endpoint can subscribe to. `analysis.stage_completed` is opt-in. */
export const WEBHOOK_EVENT_TYPES = [
  'analysis.completed',
  'analysis.failed',
  'analysis.cancelled',
  'analysis.deleted',
  'analysis.stage_completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an endpoint gets when it names no events. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  'analysis.completed',
  'analysis.failed',
  'analysis.cancelled',
  'analysis.deleted',
];

/** The type of the ping sent by `POST /api/webhooks/{id}/test`. */
export const TEST_EVENT_TYPE = 'webhook.test';

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  failingSince: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  /** When the previous secret stops being used to sign (rotation grace). */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The secrets deliveries are signed with: the current one and, during a rotation's grace, the previous one. */
export interface SigningSecrets {
  current: string;
  previous: string | null;
}

export interface WebhookDelivery {
  id: string;
  tenantId: string;
  endpointId: string | null;
  url: string;
  eventId: number | null;
  analysisId: string | null;
  eventType: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface WebhookAttempt {
  id: number;
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
}

/** One row of the analysis event log. */
export interface AnalysisEvent {
  id: number;
  tenantId: string;
  analysisId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}
