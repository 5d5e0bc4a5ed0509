/**
 * Idempotency keys, scoped per tenant. A key is first claimed (`in_progress`, committed
 * on its own so a concurrent duplicate sees it), then completed in the same transaction
 * that creates the analysis, so the stored response and the row commit together.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** A claim older than this is treated as abandoned (its request died mid-way). */
export const IN_PROGRESS_STALE_SECONDS = 60;

export interface StoredIdempotency {
  requestHash: string;
  state: 'in_progress' | 'completed';
  responseStatus: number | null;
  responseBody: Record<string, unknown> | null;
}

export const idempotencyRepository = {
  /** Claim the key. Returns undefined when claimed, or the existing record when it is taken. */
  async claim(
    db: Kysely<Database>,
    tenantId: string,
    key: string,
    requestHash: string,
    ttlHours: number,
  ): Promise<StoredIdempotency | undefined> {
    // Expired or abandoned claims are removed first so the key can be used again.
    await db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where((eb) =>
        eb.or([
          eb('expires_at', '<', sql<Date>`now()`),
          eb.and([
            eb('state', '=', 'in_progress'),
            eb('created_at', '<', sql<Date>`now() - make_interval(secs => ${IN_PROGRESS_STALE_SECONDS})`),
          ]),
        ]),
      )
      .execute();
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        tenant_id: tenantId,
        key,
        request_hash: requestHash,
        state: 'in_progress',
        expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return undefined;
    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) return idempotencyRepository.claim(db, tenantId, key, requestHash, ttlHours);
    return {
      requestHash: row.request_hash,
      state: row.state as StoredIdempotency['state'],
      responseStatus: row.response_status,
      responseBody: row.response_body,
    };
  },

  async complete(
    db: Executor,
    tenantId: string,
    key: string,
    status: number,
    body: Record<string, unknown>,
  ): Promise<void> {
    await db
      .updateTable('idempotency_keys')
      .set({ state: 'completed', response_status: status, response_body: JSON.stringify(body) })
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .execute();
  },

  async release(db: Kysely<Database>, tenantId: string, key: string): Promise<void> {
    await db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .execute();
  },

  async purgeExpired(db: Kysely<Database>): Promise<number> {
    const r = await db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<', sql<Date>`now()`)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
