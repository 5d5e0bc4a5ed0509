/**
 * Reads of the analysis event log (written by the trigger of migration 0008). Within a
 * tenant, ids increase in commit order, so "everything after id N" is a gap-free resume.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { AnalysisEvent } from '../contract/webhook.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

function toEvent(r: {
  id: number | string;
  tenant_id: string;
  analysis_id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
}): AnalysisEvent {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    analysisId: r.analysis_id,
    type: r.type,
    data: r.data,
    createdAt: r.created_at,
  };
}

export const analysisEventRepository = {
  /** Events after `afterId`, oldest first: one analysis's, or (without `analysisId`) the tenant's. */
  async listAfter(
    db: Executor,
    filter: { tenantId: string; analysisId?: string | undefined },
    afterId: number,
    limit: number,
  ): Promise<AnalysisEvent[]> {
    let q = db.selectFrom('analysis_events').selectAll().where('tenant_id', '=', filter.tenantId);
    if (filter.analysisId) q = q.where('analysis_id', '=', filter.analysisId);
    const rows = await q.where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(toEvent);
  },

  /** The newest event id of an analysis (0 when it has none). */
  async latestId(db: Executor, analysisId: string): Promise<number> {
    const r = await db
      .selectFrom('analysis_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('analysis_id', '=', analysisId)
      .executeTakeFirst();
    return Number(r?.id ?? 0);
  },

  /** The newest event id of a tenant (0 when it has none). */
  async latestTenantId(db: Executor, tenantId: string): Promise<number> {
    const r = await db
      .selectFrom('analysis_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(r?.id ?? 0);
  },

  /**
   * Take `keys` out of every event of an analysis and mark them `redacted` (on delete: the
   * log keeps its gap-free ids and the lifecycle, not the content). Webhook payloads are
   * built from these rows when sent, so pending deliveries carry the redacted data too.
   */
  async redactForAnalysis(db: Executor, analysisId: string, keys: readonly string[]): Promise<number> {
    const r = await db
      .updateTable('analysis_events')
      .set({ data: sql`(data - ${sql.val([...keys])}::text[]) || '{"redacted": true}'::jsonb` })
      .where('analysis_id', '=', analysisId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Drop events older than `days` (the cleanup job calls this). */
  async purgeOlderThan(db: Executor, days: number): Promise<number> {
    const r = await db
      .deleteFrom('analysis_events')
      .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};

/** Parse the JSON of a NOTIFY analysis_events payload. */
export function eventFromNotification(payload: string): AnalysisEvent {
  const p = JSON.parse(payload) as {
    id: number;
    tenant_id: string;
    analysis_id: string;
    type: string;
    data: Record<string, unknown>;
    created_at: string;
  };
  return toEvent({ ...p, created_at: new Date(p.created_at) });
}
