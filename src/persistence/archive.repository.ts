/**
 * SQL for the analysis archive (migration 0009). Rows move in small batches, each one
 * short transaction holding row locks only (FOR UPDATE SKIP LOCKED: a row a request is
 * changing right now is simply taken by a later batch).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, AnalysisRow } from './schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

const archivable = (days: number) => sql`
  status IN ('completed', 'failed', 'cancelled', 'deleted')
  AND updated_at < now() - make_interval(days => ${days})`;

/**
 * The archived row as the live table would hold it. The tenant is written under both of
 * its names, so rows archived before the `created_by` → `tenant_id` rename restore too.
 */
const asLiveRecord = sql`jsonb_populate_record(
  NULL::media_analysis_requests,
  a.analysis || jsonb_build_object('tenant_id', a.tenant_id, 'created_by', a.tenant_id))`;

export const archiveRepository = {
  /**
   * Make the live files of up to `batch` archivable analyses due now, so the cleanup
   * removes them before the rows move (an archived analysis keeps no files).
   */
  async expireFilesOfArchivable(db: Executor, days: number, batch: number): Promise<number> {
    const r = await sql`
      UPDATE media_files SET expires_at = now()
      WHERE deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        AND analysis_id IN (SELECT id FROM media_analysis_requests WHERE ${archivable(days)} LIMIT ${batch})`.execute(
      db,
    );
    return Number(r.numAffectedRows ?? 0);
  },

  /** Move up to `batch` archivable analyses without live files into the archive; returns how many moved. */
  async archiveBatch(db: Kysely<Database>, days: number, batch: number): Promise<number> {
    return db.transaction().execute(async (trx) => {
      // Months first: the function (the schema owner's) creates a missing partition.
      await sql`
        SELECT media_analysis_archive_ensure_partition(month) FROM (
          SELECT DISTINCT date_trunc('month', created_at) AS month FROM media_analysis_requests r
          WHERE ${archivable(days)}
            AND NOT EXISTS (SELECT 1 FROM media_files f WHERE f.analysis_id = r.id AND f.deleted_at IS NULL)
        ) months`.execute(trx);
      const r = await sql`
        WITH picked AS (
          SELECT id FROM media_analysis_requests r
          WHERE ${archivable(days)}
            AND NOT EXISTS (SELECT 1 FROM media_files f WHERE f.analysis_id = r.id AND f.deleted_at IS NULL)
          ORDER BY updated_at
          LIMIT ${batch}
          FOR UPDATE SKIP LOCKED
        ), moved AS (
          DELETE FROM media_analysis_requests r USING picked WHERE r.id = picked.id RETURNING r.*
        )
        INSERT INTO media_analysis_archive (id, tenant_id, status, media_type, created_at, updated_at, analysis, results)
        SELECT m.id, COALESCE(to_jsonb(m) ->> 'tenant_id', to_jsonb(m) ->> 'created_by'), m.status, m.media_type,
               m.created_at, m.updated_at, to_jsonb(m),
               COALESCE((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at)
                         FROM media_analysis_results x WHERE x.analysis_id = m.id), '[]'::jsonb)
        FROM moved m`.execute(trx);
      return Number(r.numAffectedRows ?? 0);
    });
  },

  /** An archived analysis, typed as a live row (null when not archived). */
  async find(db: Executor, id: string): Promise<(AnalysisRow & { archived_at: Date }) | null> {
    const r = await sql<AnalysisRow & { archived_at: Date }>`
      SELECT (${asLiveRecord}).*, a.archived_at FROM media_analysis_archive a WHERE a.id = ${id}`.execute(db);
    return r.rows[0] ?? null;
  },

  /**
   * Archived analyses of one tenant, newest first, created before `before` (keyset on
   * created_at, id); for history with include_archived.
   */
  async listForTenant(
    db: Executor,
    tenantId: string,
    limit: number,
    before?: { createdAt: Date; id: string },
  ): Promise<AnalysisRow[]> {
    const r = await sql<AnalysisRow>`
      SELECT (${asLiveRecord}).* FROM media_analysis_archive a
      WHERE a.tenant_id = ${tenantId}
        ${before ? sql`AND (a.created_at, a.id) < (${before.createdAt}, ${before.id}::uuid)` : sql``}
      ORDER BY a.created_at DESC, a.id DESC
      LIMIT ${limit}`.execute(db);
    return r.rows;
  },

  /** Move an archived analysis (and its model results) back into the live tables; false when not archived. */
  async restore(trx: Transaction<Database>, id: string): Promise<boolean> {
    const r = await sql`
      INSERT INTO media_analysis_requests
      SELECT (${asLiveRecord}).* FROM media_analysis_archive a WHERE a.id = ${id}
      ON CONFLICT (id) DO NOTHING`.execute(trx);
    if (Number(r.numAffectedRows ?? 0) === 0) return false;
    await sql`
      INSERT INTO media_analysis_results
      SELECT (jsonb_populate_recordset(NULL::media_analysis_results, a.results)).*
      FROM media_analysis_archive a WHERE a.id = ${id}`.execute(trx);
    await sql`DELETE FROM media_analysis_archive WHERE id = ${id}`.execute(trx);
    return true;
  },
};
