/**
 * `client.admin`: API keys and tenants (an admin key only). A tenant has no route of its
 * own: creating a key for a new `tenant_id` creates the tenant.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from './schema.ts';
import { ApiError, type ApiKey, type ApiKeyWithSecret, type NewApiKey, type Unwrapped } from './types.ts';

export class AdminApi {
  private readonly http: Client<paths>;
  private readonly unwrap: <T>(r: Unwrapped<T>) => T;

  constructor(http: Client<paths>, unwrap: <T>(r: Unwrapped<T>) => T) {
    this.http = http;
    this.unwrap = unwrap;
  }

  /** Every key of every tenant, revoked ones included (never the secrets). */
  async listKeys(): Promise<ApiKey[]> {
    return this.unwrap(await this.http.GET('/api/admin/keys')).data;
  }

  /** Create a key (and its tenant when new); the returned `key` is shown only here. */
  async createKey(body: NewApiKey): Promise<ApiKeyWithSecret> {
    return this.unwrap(await this.http.POST('/api/admin/keys', { body }));
  }

  async revokeKey(id: string): Promise<void> {
    const r = await this.http.DELETE('/api/admin/keys/{id}', { params: { path: { id } } });
    if (!r.response.ok) throw new ApiError(r.response.status, (r.error as Record<string, unknown>) ?? {});
  }
}
