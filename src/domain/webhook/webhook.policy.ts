/**
 * Pure decisions about callbacks: the secret format, the retry schedule, what the
 * envelope says, and whether an answer counts as delivered. No I/O here.
 */
import crypto from 'node:crypto';
import { AppError } from '../errors.ts';
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../contract/webhook.types.ts';

/** Standard Webhooks secrets are `whsec_` + base64 of the key; 24 random bytes = 192 bits. */
const SECRET_BYTES = 24;
export const SECRET_PREFIX = 'whsec_';

export function generateSecret(): string {
  return SECRET_PREFIX + crypto.randomBytes(SECRET_BYTES).toString('base64');
}

/** Longest callback URL accepted (the "over 2 KB → 422"). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * The default retry schedule: delays after the first, second, … failed attempt, about a
 * day and a half in all (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h) — then the delivery fails.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 50400];

/** A `Retry-After` longer than this is capped, so one answer cannot park a delivery for weeks. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/** Parse "5s,5m,30m,2h" into seconds. Throws on a malformed item. */
export function parseSchedule(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(item);
      if (!m) throw new Error(`"${item}" is not a duration like 5s, 5m or 2h`);
      const n = Number(m[1]);
      const unit = m[2] ?? 's';
      return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
    });
}

/**
 * When to try again after failed attempt number `attempt` (1-based), or null when the
 * schedule is used up. A receiver's Retry-After moves it later, never earlier.
 */
export function nextAttemptDelaySeconds(
  attempt: number,
  schedule: readonly number[],
  retryAfterSeconds: number | null,
): number | null {
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  const asked = retryAfterSeconds === null ? 0 : Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
  return Math.max(base, asked);
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Standard Webhooks: any 2xx is a success; everything else (3xx included: redirects are not followed) is not. */
export function isDelivered(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

export function isWebhookEventType(s: string): s is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);
}

/** The small envelope a receiver gets: what happened, to which analysis, and where to fetch the rest. */
export interface WebhookEnvelope {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function buildEnvelope(
  delivery: { eventType: string; analysisId: string | null; id: string; createdAt: Date },
  event: { data: Record<string, unknown>; createdAt: Date } | null,
  links: { apiBase: string } = { apiBase: '/api/media' },
): WebhookEnvelope {
  if (delivery.eventType === TEST_EVENT_TYPE || !event) {
    return {
      type: delivery.eventType,
      timestamp: delivery.createdAt.toISOString(),
      data: { delivery_id: delivery.id, message: 'Test ping from media-analysis' },
    };
  }
  const d = event.data;
  const pick = (k: string) => (d[k] === undefined ? {} : { [k]: d[k] });
  return {
    type: delivery.eventType,
    timestamp: event.createdAt.toISOString(),
    data: {
      analysis_id: delivery.analysisId,
      ...pick('status'),
      ...pick('media_type'),
      ...pick('summary'),
      ...pick('error_code'),
      ...pick('error_message'),
      ...pick('stage'),
      ...pick('state'),
      ...(delivery.analysisId ? { url: `${links.apiBase}/${delivery.analysisId}` } : {}),
    },
  };
}

/** The `webhook-id` header: stable for a delivery across every retry and redelivery. */
export function messageId(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll('-', '')}`;
}

/** Shape checks that need no network: http(s), no credentials, at most 2 KB. */
export function checkWebhookUrlShape(raw: string): URL {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new AppError(
      'WEBHOOK_URL_INVALID',
      `The URL is ${raw.length} characters; the limit is ${MAX_WEBHOOK_URL_LENGTH}`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('WEBHOOK_URL_INVALID', 'Not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('WEBHOOK_URL_INVALID', `Scheme ${url.protocol} is not allowed; use http or https`);
  }
  if (url.username || url.password) throw new AppError('WEBHOOK_URL_INVALID', 'Credentials in the URL are not allowed');
  return url;
}
