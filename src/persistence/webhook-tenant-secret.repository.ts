/**
 * SQL for the per-tenant signing secret used by deliveries to per-request URLs (those with
 * no endpoint): create once, rotate with a grace period, read.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { SigningSecrets } from '../contract/webhook.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export const webhookTenantSecretRepository = {
  /** Create the tenant's secret if it has none (concurrent callers agree on one). Returns true when created. */
  async ensureTenantSecret(db: Executor, tenantId: string, secret: string): Promise<boolean> {
    const r = await db
      .insertInto('tenant_webhook_secrets')
      .values({ tenant_id: tenantId, secret })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async rotateTenantSecret(db: Executor, tenantId: string, secret: string, graceSeconds: number): Promise<void> {
    await sql`
      INSERT INTO tenant_webhook_secrets (tenant_id, secret) VALUES (${tenantId}, ${secret})
      ON CONFLICT (tenant_id) DO UPDATE SET
        previous_secret = tenant_webhook_secrets.secret,
        previous_secret_expires_at = now() + make_interval(secs => ${graceSeconds}),
        secret = excluded.secret`.execute(db);
  },

  async tenantSecrets(db: Executor, tenantId: string): Promise<SigningSecrets | null> {
    const row = await db
      .selectFrom('tenant_webhook_secrets')
      .select([
        'secret',
        sql<string | null>`CASE WHEN previous_secret_expires_at > now() THEN previous_secret END`.as('previous'),
      ])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? { current: row.secret, previous: row.previous } : null;
  },

  async hasTenantSecret(db: Executor, tenantId: string): Promise<boolean> {
    const row = await db
      .selectFrom('tenant_webhook_secrets')
      .select('tenant_id')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row !== undefined;
  },
};
