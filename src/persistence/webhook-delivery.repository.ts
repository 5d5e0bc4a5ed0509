/**
 * SQL for the webhook delivery outbox and its attempt log. Outbox rows for analysis events
 * are written by the trigger of migration 0008, inside the state change's transaction;
 * this module claims, records and lists them.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { DeliveryState, SigningSecrets, WebhookAttempt, WebhookDelivery } from '../contract/webhook.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

function toDelivery(r: Record<string, unknown>): WebhookDelivery {
  const row = r as {
    id: string;
    tenant_id: string;
    endpoint_id: string | null;
    url: string;
    event_id: number | null;
    analysis_id: string | null;
    event_type: string;
    state: string;
    attempts: number;
    next_attempt_at: Date;
    last_status: number | null;
    last_error: string | null;
    created_at: Date;
    delivered_at: Date | null;
  };
  return {
    id: row.id,
    tenantId: row.tenant_id,
    endpointId: row.endpoint_id,
    url: row.url,
    eventId: row.event_id === null ? null : Number(row.event_id),
    analysisId: row.analysis_id,
    eventType: row.event_type,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/** A claimed delivery with what is needed to send it. */
export interface ClaimedDelivery extends WebhookDelivery {
  /** The endpoint's (or tenant's) signing secrets; null when none exists yet (per-request URL). */
  secrets: SigningSecrets | null;
  /** Event row facts (null for test pings). */
  event: { type: string; data: Record<string, unknown>; createdAt: Date } | null;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
}

export const webhookDeliveryRepository = {
  /**
   * Claim due deliveries for sending: lock candidates (skipping rows another dispatcher
   * holds), let `pick` choose within per-endpoint limits, and lease the chosen ones for
   * `leaseSeconds` — a dispatcher killed mid-send leaves a lease that simply expires.
   * Receivers the caller has at their limit (`busyEndpoints`, and `busyUrls` for a
   * request's own webhook_url) are left out of the candidates: otherwise one slow
   * receiver's backlog, being the oldest due rows, fills every candidate window and no
   * other receiver is sent anything until that backlog drains.
   */
  async claimDue(
    db: Kysely<Database>,
    opts: {
      candidates: number;
      leaseSeconds: number;
      pick: (rows: WebhookDelivery[]) => WebhookDelivery[];
      busyEndpoints?: readonly string[];
      busyUrls?: readonly string[];
    },
  ): Promise<ClaimedDelivery[]> {
    const busyEndpoints = [...(opts.busyEndpoints ?? [])];
    const busyUrls = [...(opts.busyUrls ?? [])];
    return db.transaction().execute(async (trx) => {
      const rows = await sql<Record<string, unknown>>`
        SELECT d.* FROM webhook_deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= now()
          AND (d.lease_until IS NULL OR d.lease_until < now())
          AND (d.endpoint_id IS NULL
               OR EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled))
          AND (d.endpoint_id IS NULL OR d.endpoint_id <> ALL(${busyEndpoints}::uuid[]))
          AND (d.endpoint_id IS NOT NULL OR d.url <> ALL(${busyUrls}::text[]))
        ORDER BY d.next_attempt_at, d.id
        LIMIT ${opts.candidates}
        FOR UPDATE SKIP LOCKED`.execute(trx);
      const chosen = opts.pick(rows.rows.map(toDelivery));
      if (chosen.length === 0) return [];
      const ids = chosen.map((d) => d.id);
      const leased = await sql<Record<string, unknown>>`
        UPDATE webhook_deliveries d SET
          lease_until = now() + make_interval(secs => ${opts.leaseSeconds}),
          attempts = d.attempts + 1,
          updated_at = now()
        WHERE d.id = ANY(${ids}::uuid[])
        RETURNING d.*,
          (SELECT row_to_json(s) FROM (
             SELECT coalesce(e.secret, t.secret) AS current,
                    CASE WHEN coalesce(e.previous_secret_expires_at, t.previous_secret_expires_at) > now()
                         THEN coalesce(e.previous_secret, t.previous_secret) END AS previous
             FROM (SELECT 1) one
             LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id
             LEFT JOIN tenant_webhook_secrets t ON d.endpoint_id IS NULL AND t.tenant_id = d.tenant_id) s
          ) AS secrets,
          (SELECT row_to_json(v) FROM (
             SELECT ev.type, ev.data, ev.created_at AS "createdAt" FROM analysis_events ev WHERE ev.id = d.event_id) v
          ) AS event`.execute(trx);
      return leased.rows.map((r) => {
        const secrets = r.secrets as { current: string | null; previous: string | null } | null;
        const event = r.event as { type: string; data: Record<string, unknown>; createdAt: string } | null;
        return {
          ...toDelivery(r),
          secrets: secrets?.current ? { current: secrets.current, previous: secrets.previous } : null,
          event: event ? { type: event.type, data: event.data, createdAt: new Date(event.createdAt) } : null,
        };
      });
    });
  },

  /**
   * The outcome of one attempt, with the log row, in one transaction: delivered, failed
   * for good, or due again at `nextAttemptAt`. Endpoint failure tracking moves with it.
   */
  async recordAttempt(
    db: Kysely<Database>,
    a: AttemptRecord,
    outcome: { state: DeliveryState; nextAttemptAt: Date | null },
    endpointId: string | null,
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: a.deliveryId,
          attempt: a.attempt,
          started_at: a.startedAt,
          latency_ms: a.latencyMs,
          status_code: a.statusCode,
          response_body: a.responseBody,
          error: a.error,
        })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          state: outcome.state,
          lease_until: null,
          last_status: a.statusCode,
          last_error: a.error,
          updated_at: sql<Date>`now()`,
          ...(outcome.nextAttemptAt ? { next_attempt_at: outcome.nextAttemptAt } : {}),
          ...(outcome.state === 'delivered' ? { delivered_at: sql<Date>`now()` } : {}),
        })
        .where('id', '=', a.deliveryId)
        .execute();
      if (!endpointId) return;
      if (outcome.state === 'delivered') {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: null })
          .where('id', '=', endpointId)
          .where('failing_since', 'is not', null)
          .execute();
      } else {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: a.startedAt })
          .where('id', '=', endpointId)
          .where('failing_since', 'is', null)
          .execute();
      }
    });
  },

  /** A test ping: a delivery with no event, leased to the caller so it can send it at once. */
  async createTestDelivery(
    db: Executor,
    endpoint: { id: string; tenantId: string; url: string },
    leaseSeconds: number,
  ): Promise<WebhookDelivery> {
    const row = await db
      .insertInto('webhook_deliveries')
      .values({
        tenant_id: endpoint.tenantId,
        endpoint_id: endpoint.id,
        url: endpoint.url,
        event_type: 'webhook.test',
        attempts: 1,
        lease_until: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDelivery(row);
  },

  /** Send it again now (same webhook-id). Returns undefined when the tenant has no such delivery. */
  async redeliver(db: Executor, deliveryId: string, tenantId: string): Promise<WebhookDelivery | undefined> {
    const row = await db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', next_attempt_at: sql<Date>`now()`, lease_until: null, updated_at: sql<Date>`now()` })
      .where('id', '=', deliveryId)
      .where('tenant_id', '=', tenantId)
      .returningAll()
      .executeTakeFirst();
    if (row) await sql`SELECT pg_notify('webhook_due', '')`.execute(db);
    return row ? toDelivery(row) : undefined;
  },

  async findDelivery(db: Executor, deliveryId: string, tenantId: string): Promise<WebhookDelivery | undefined> {
    const row = await db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', deliveryId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? toDelivery(row) : undefined;
  },

  /** Newest first, keyset-paged by (created_at, id). */
  async listDeliveries(
    db: Executor,
    filter: { tenantId: string; endpointId?: string; analysisId?: string; state?: DeliveryState },
    page: { limit: number; before?: { createdAt: Date; id: string } | undefined },
  ): Promise<WebhookDelivery[]> {
    let q = db.selectFrom('webhook_deliveries').selectAll().where('tenant_id', '=', filter.tenantId);
    if (filter.endpointId) q = q.where('endpoint_id', '=', filter.endpointId);
    if (filter.analysisId) q = q.where('analysis_id', '=', filter.analysisId);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (page.before) {
      q = q.where(sql<boolean>`(created_at, id) < (${page.before.createdAt}, ${page.before.id}::uuid)`);
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(toDelivery);
  },

  async attemptsFor(db: Executor, deliveryIds: readonly string[]): Promise<WebhookAttempt[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', 'in', [...deliveryIds])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      deliveryId: r.delivery_id,
      attempt: r.attempt,
      startedAt: r.started_at,
      latencyMs: r.latency_ms,
      statusCode: r.status_code,
      responseBody: r.response_body,
      error: r.error,
    }));
  },
};
