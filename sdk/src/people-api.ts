/** `client.people` over HTTP: the tenant's people (faces grouped across analyses), naming, suggested merges, merging, forgetting. */
import type { Client } from 'openapi-fetch';
import type { paths } from './schema.ts';
import { ApiError, type Unwrapped } from './types.ts';

export class PeopleApi {
  private readonly http: Client<paths>;
  private readonly unwrap: <T>(r: Unwrapped<T>) => T;

  constructor(http: Client<paths>, unwrap: <T>(r: Unwrapped<T>) => T) {
    this.http = http;
    this.unwrap = unwrap;
  }

  /** One page of people, named first. */
  async list(query: { page?: number; per_page?: number } = {}) {
    return this.unwrap(await this.http.GET('/api/people', { params: { query } }));
  }

  /** A person with every appearance (analysis, start/end seconds or the photograph, thumbnail). */
  async get(id: string) {
    return this.unwrap(await this.http.GET('/api/people/{id}', { params: { path: { id } } }));
  }

  /** Name a person (null forgets the name); their appearances become searchable by it. */
  async rename(id: string, name: string | null) {
    return this.unwrap(await this.http.PATCH('/api/people/{id}', { params: { path: { id } }, body: { name } }));
  }

  /** People who may be this person (faces alike, never on screen together), closest first: confirm one with `merge`. */
  async suggestions(id: string, query: { limit?: number } = {}) {
    return this.unwrap(await this.http.GET('/api/people/{id}/suggestions', { params: { path: { id }, query } }));
  }

  /** Move every face of `otherId` to `id`; `otherId` is forgotten. */
  async merge(id: string, otherId: string) {
    return this.unwrap(
      await this.http.POST('/api/people/{id}/merge', { params: { path: { id } }, body: { person_id: otherId } }),
    );
  }

  /** Take a wrongly matched face away from a person: it becomes a person of its own. */
  async removeFace(id: string, faceId: string) {
    return this.unwrap(await this.http.DELETE('/api/people/{id}/faces/{faceId}', { params: { path: { id, faceId } } }));
  }

  /** Forget a person and their face descriptions. */
  async forget(id: string): Promise<void> {
    const r = await this.http.DELETE('/api/people/{id}', { params: { path: { id } } });
    if (!r.response.ok) throw new ApiError(r.response.status, (r.error as Record<string, unknown>) ?? {});
  }
}
