/**
 * Verify a webhook from media-analysis in your receiver (Standard Webhooks: webhook-id,
 * webhook-timestamp, webhook-signature; HMAC-SHA256 with your `whsec_…` secret). Pass
 * the raw body exactly as received — re-serialised JSON will not verify.
 */
import { Webhook } from 'standardwebhooks';

export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function verifyWebhook(
  headers: Record<string, string | string[] | undefined> | Headers,
  rawBody: string,
  secret: string,
): WebhookPayload {
  const flat: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && !(headers as Record<string, unknown>)['webhook-id']) {
    (headers as Headers).forEach((v, k) => (flat[k.toLowerCase()] = v));
  } else {
    for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>))
      if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(' ') : v;
  }
  return new Webhook(secret).verify(rawBody, flat) as WebhookPayload;
}
