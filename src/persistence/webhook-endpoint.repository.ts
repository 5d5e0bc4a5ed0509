/**
 * SQL for a tenant's webhook endpoints: create, list, update, delete, rotate their signing
 * secret, and disable the ones that keep failing.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { SigningSecrets, WebhookEndpoint, WebhookEventType } from '../contract/webhook.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

function toEndpoint(r: Record<string, unknown>): WebhookEndpoint {
  const row = r as {
    id: string;
    tenant_id: string;
    url: string;
    description: string;
    events: string[];
    enabled: boolean;
    failing_since: Date | null;
    disabled_at: Date | null;
    disabled_reason: string | null;
    previous_secret_expires_at: Date | null;
    created_at: Date;
    updated_at: Date;
  };
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    enabled: row.enabled,
    failingSince: row.failing_since,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const ENDPOINT_COLUMNS = [
  'id',
  'tenant_id',
  'url',
  'description',
  'events',
  'enabled',
  'failing_since',
  'disabled_at',
  'disabled_reason',
  'previous_secret_expires_at',
  'created_at',
  'updated_at',
] as const;

export interface NewEndpoint {
  tenantId: string;
  url: string;
  description: string;
  events: readonly string[];
  enabled: boolean;
  secret: string;
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  events?: readonly string[];
  enabled?: boolean;
}

export const webhookEndpointRepository = {
  async createEndpoint(db: Executor, e: NewEndpoint): Promise<WebhookEndpoint> {
    const row = await db
      .insertInto('webhook_endpoints')
      .values({
        tenant_id: e.tenantId,
        url: e.url,
        description: e.description,
        events: [...e.events],
        enabled: e.enabled,
        secret: e.secret,
      })
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirstOrThrow();
    return toEndpoint(row);
  },

  async listEndpoints(db: Executor, tenantId: string): Promise<WebhookEndpoint[]> {
    const rows = await db
      .selectFrom('webhook_endpoints')
      .select(ENDPOINT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toEndpoint);
  },

  async findEndpoint(db: Executor, id: string, tenantId: string): Promise<WebhookEndpoint | undefined> {
    const row = await db
      .selectFrom('webhook_endpoints')
      .select(ENDPOINT_COLUMNS)
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? toEndpoint(row) : undefined;
  },

  /** Re-enabling clears the failure state; disabling by the user records no reason. */
  async updateEndpoint(
    db: Executor,
    id: string,
    tenantId: string,
    patch: EndpointPatch,
  ): Promise<WebhookEndpoint | undefined> {
    const row = await db
      .updateTable('webhook_endpoints')
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.events !== undefined ? { events: [...patch.events] } : {}),
        ...(patch.enabled !== undefined
          ? patch.enabled
            ? { enabled: true, failing_since: null, disabled_at: null, disabled_reason: null }
            : { enabled: false, disabled_at: sql<Date>`now()`, disabled_reason: 'disabled by the user' }
          : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirst();
    return row ? toEndpoint(row) : undefined;
  },

  async deleteEndpoint(db: Executor, id: string, tenantId: string): Promise<boolean> {
    const r = await db
      .deleteFrom('webhook_endpoints')
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  },

  /** New secret now; the old one keeps signing (as a second signature) until `graceSeconds` from now. */
  async rotateEndpointSecret(
    db: Executor,
    id: string,
    tenantId: string,
    secret: string,
    graceSeconds: number,
  ): Promise<WebhookEndpoint | undefined> {
    const row = await db
      .updateTable('webhook_endpoints')
      .set({
        previous_secret: sql<string>`secret`,
        previous_secret_expires_at: sql<Date>`now() + make_interval(secs => ${graceSeconds})`,
        secret,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .returning(ENDPOINT_COLUMNS)
      .executeTakeFirst();
    return row ? toEndpoint(row) : undefined;
  },

  /**
   * Disable endpoints that have failed without a success for longer than `afterSeconds`;
   * their pending deliveries end as failed. Returns the endpoints disabled.
   */
  async disableFailing(db: Kysely<Database>, afterSeconds: number): Promise<WebhookEndpoint[]> {
    return db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('webhook_endpoints')
        .set({
          enabled: false,
          disabled_at: sql<Date>`now()`,
          disabled_reason: sql<string>`'failing since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
          updated_at: sql<Date>`now()`,
        })
        .where('enabled', '=', true)
        .where('failing_since', '<', sql<Date>`now() - make_interval(secs => ${afterSeconds})`)
        .returning(ENDPOINT_COLUMNS)
        .execute();
      if (rows.length === 0) return [];
      await trx
        .updateTable('webhook_deliveries')
        .set({ state: 'failed', last_error: 'endpoint disabled after failing', updated_at: sql<Date>`now()` })
        .where(
          'endpoint_id',
          'in',
          rows.map((r) => r.id),
        )
        .where('state', '=', 'pending')
        .execute();
      return rows.map(toEndpoint);
    });
  },

  async secretsForEndpoint(db: Executor, endpointId: string): Promise<SigningSecrets | null> {
    const row = await db
      .selectFrom('webhook_endpoints')
      .select([
        'secret',
        sql<string | null>`CASE WHEN previous_secret_expires_at > now() THEN previous_secret END`.as('previous'),
      ])
      .where('id', '=', endpointId)
      .executeTakeFirst();
    return row ? { current: row.secret, previous: row.previous } : null;
  },
};
