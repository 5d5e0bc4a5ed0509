/** `client.webhooks` of the full client: the HTTP calls plus signature checks for your receiver. */
import { WebhookEndpointsApi } from './webhook-endpoints-api.ts';
import { verifyWebhook, type WebhookPayload } from './webhooks.ts';

export class WebhooksApi extends WebhookEndpointsApi {
  /** Verify a received webhook (Standard Webhooks); throws when the signature or timestamp is wrong. */
  verify(
    headers: Record<string, string | string[] | undefined> | Headers,
    rawBody: string,
    secret: string,
  ): WebhookPayload {
    return verifyWebhook(headers, rawBody, secret);
  }
}
