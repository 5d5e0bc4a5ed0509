/** SQL for API keys. Only the sha-256 of a key is stored. */
import { sql, type Kysely } from 'kysely';
import type { Database, ApiKeyRow } from './schema.ts';

export const apiKeyRepository = {
  async insert(
    db: Kysely<Database>,
    k: { tenantId: string; name: string; prefix: string; hash: string; isAdmin: boolean },
  ): Promise<ApiKeyRow> {
    return db
      .insertInto('api_keys')
      .values({ tenant_id: k.tenantId, name: k.name, key_prefix: k.prefix, key_hash: k.hash, is_admin: k.isAdmin })
      .returningAll()
      .executeTakeFirstOrThrow();
  },
  async findActiveByHash(db: Kysely<Database>, hash: string): Promise<ApiKeyRow | undefined> {
    return db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  },
  async list(db: Kysely<Database>): Promise<ApiKeyRow[]> {
    return db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  },
  async count(db: Kysely<Database>): Promise<number> {
    const r = await db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async revoke(db: Kysely<Database>, idOrPrefix: string): Promise<number> {
    const isUuid = /^[0-9a-f-]{36}$/i.test(idOrPrefix);
    const r = await db
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`now()` })
      .where(isUuid ? 'id' : 'key_prefix', '=', idOrPrefix)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },
  async touch(db: Kysely<Database>, id: string): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ last_used_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
  },
};
