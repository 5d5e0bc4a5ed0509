/** `client.webhooks` over HTTP: webhook endpoints, the delivery log and secret rotation. */
import type { Client } from 'openapi-fetch';
import type { paths } from './schema.ts';
import { ApiError, type Unwrapped, type WebhookDelivery, type WebhookEndpoint } from './types.ts';

export class WebhookEndpointsApi {
  private readonly http: Client<paths>;
  private readonly unwrap: <T>(r: Unwrapped<T>) => T;

  constructor(http: Client<paths>, unwrap: <T>(r: Unwrapped<T>) => T) {
    this.http = http;
    this.unwrap = unwrap;
  }

  /** Register an endpoint; the returned `secret` is shown only here. */
  async create(body: paths['/api/webhooks']['post']['requestBody']['content']['application/json']) {
    return this.unwrap(await this.http.POST('/api/webhooks', { body }));
  }

  async list(): Promise<WebhookEndpoint[]> {
    return this.unwrap(await this.http.GET('/api/webhooks')).data;
  }

  async update(
    id: string,
    body: NonNullable<paths['/api/webhooks/{id}']['patch']['requestBody']>['content']['application/json'],
  ) {
    return this.unwrap(await this.http.PATCH('/api/webhooks/{id}', { params: { path: { id } }, body }));
  }

  async delete(id: string): Promise<void> {
    const r = await this.http.DELETE('/api/webhooks/{id}', { params: { path: { id } } });
    if (!r.response.ok) throw new ApiError(r.response.status, (r.error as Record<string, unknown>) ?? {});
  }

  async rotateSecret(id: string, graceSeconds?: number) {
    return this.unwrap(
      await this.http.POST('/api/webhooks/{id}/rotate-secret', {
        params: { path: { id } },
        body: graceSeconds === undefined ? {} : { grace_seconds: graceSeconds },
      }),
    );
  }

  /**
   * Create (or rotate) the tenant's secret that signs callbacks to a request's own
   * `webhookUrl`; shown once. The old one keeps verifying for `graceSeconds`.
   */
  async rotateTenantSecret(graceSeconds?: number) {
    return this.unwrap(
      await this.http.POST('/api/webhooks/tenant-secret', {
        body: graceSeconds === undefined ? {} : { grace_seconds: graceSeconds },
      }),
    );
  }

  async test(id: string): Promise<WebhookDelivery> {
    return this.unwrap(await this.http.POST('/api/webhooks/{id}/test', { params: { path: { id } } }));
  }

  /** The delivery log: one endpoint's, or the tenant's (optionally one analysis's). */
  async deliveries(
    opts: { endpointId?: string; analysisId?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ data: WebhookDelivery[]; next_cursor: string | null }> {
    const query = {
      ...(opts.limit ? { limit: opts.limit } : {}),
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
      ...(opts.analysisId ? { analysis_id: opts.analysisId } : {}),
    };
    if (opts.endpointId)
      return this.unwrap(
        await this.http.GET('/api/webhooks/{id}/deliveries', { params: { path: { id: opts.endpointId }, query } }),
      );
    return this.unwrap(await this.http.GET('/api/webhook-deliveries', { params: { query } }));
  }

  async redeliver(deliveryId: string): Promise<WebhookDelivery> {
    return this.unwrap(
      await this.http.POST('/api/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId } } }),
    );
  }
}
