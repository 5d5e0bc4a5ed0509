/**
 * SQL for the analysis archive (migration 0009). Rows move in small batches, each one
 * short transaction holding row locks only (FOR UPDATE SKIP LOCKED: a row a request is
 * changing right now is simply taken by a later batch).
 */
import { CompiledQuery, sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database, AnalysisRow } from './schema.ts';
import type { Analysis, AnalysisListItem, ListFilter, ListPage } from '../contract/analysis.types.ts';
import type { AnalysisStage } from '../contract/analysis-stage.types.ts';
import { cursorValue, listColumnsSql, toAnalysis, toListItem, type ListRow } from './analysis.repository.ts';
import { stagesFromJson, stagesJsonSql } from './analysis-stage.repository.ts';

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

type ArchivableRow = AnalysisRow & { archived_at: Date | null };
type StatusReadRow = ArchivableRow & { stages_json: Parameters<typeof stagesFromJson>[0] };

/**
 * The status read (`findLiveOrArchivedWithStages`), written once with its two values as
 * $1 and $2: the status route is the hottest read, and building and compiling the same
 * SQL tree on every call was a measurable share of its CPU.
 */
const statusReadSql = sql<StatusReadRow>`
  SELECT u.*, ${stagesJsonSql(sql`u.id`)} AS stages_json FROM (
    (SELECT r.*, NULL::timestamptz AS archived_at FROM media_analysis_requests r
     WHERE r.id = $1 AND r.tenant_id = $2)
    UNION ALL
    (SELECT (${asLiveRecord}).*, a.archived_at FROM media_analysis_archive a
     WHERE a.id = $1 AND a.tenant_id = $2)
    LIMIT 1) u`;
let statusReadText: string | undefined;

function withArchivedAt(row: ArchivableRow): Analysis {
  return { ...toAnalysis(row), archivedAt: row.archived_at };
}

/** The history filter on the live table (`r`) or the archive (`a`); deleted analyses never show. */
function filterSql(f: ListFilter, t: 'r' | 'a'): RawBuilder<unknown> {
  const col = (c: string) => sql.ref(`${t}.${c}`);
  const parts = [
    sql`${col('tenant_id')} = ${f.tenantId}`,
    t === 'r' ? sql`r.deleted_at IS NULL` : sql`a.status <> 'deleted'`,
  ];
  if (f.status) parts.push(sql`${col('status')} = ${f.status}`);
  if (f.mediaType) parts.push(sql`${col('media_type')} = ${f.mediaType}`);
  if (f.dateFrom) parts.push(sql`${col('created_at')} >= ${f.dateFrom}`);
  if (f.dateTo) parts.push(sql`${col('created_at')} <= ${f.dateTo}`);
  return sql.join(parts, sql` AND `);
}

/** Keyset position and order of one side of the history union (or of the union itself, `u`). */
function pageSql(
  page: ListPage,
  t: 'r' | 'a' | 'u',
  limit: number,
): { after: RawBuilder<unknown>; order: RawBuilder<unknown> } {
  const col = sql.ref(`${t}.${page.sortBy}`);
  const id = sql.ref(`${t}.id`);
  const dir = sql.raw(page.order === 'desc' ? 'DESC' : 'ASC');
  const after = page.after
    ? sql`AND (${col}, ${id}) ${sql.raw(page.order === 'desc' ? '<' : '>')} (${cursorValue(page.sortBy, page.after, ['media_analysis_requests', 'media_analysis_archive'])}, ${page.after.id}::uuid)`
    : sql``;
  return { after, order: sql`ORDER BY ${col} ${dir}, ${id} ${dir} LIMIT ${limit}` };
}

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
        ), archived AS (
          INSERT INTO media_analysis_archive (id, tenant_id, status, media_type, created_at, updated_at, analysis, results)
          SELECT m.id, COALESCE(to_jsonb(m) ->> 'tenant_id', to_jsonb(m) ->> 'created_by'), m.status, m.media_type,
                 m.created_at, m.updated_at, to_jsonb(m),
                 COALESCE((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at)
                           FROM media_analysis_results x WHERE x.analysis_id = m.id), '[]'::jsonb)
          FROM moved m
          RETURNING id, tenant_id
        )
        -- The same change notification as an update: caches drop the live copy (status, history).
        SELECT pg_notify('analysis_changed', tenant_id || ' ' || id::text) FROM archived`.execute(trx);
      return r.rows.length;
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

  /**
   * The tenant's analysis by id, live or archived (`archivedAt` set), in one statement:
   * one snapshot, so a row the archive job moves meanwhile is seen on one side or the
   * other. The archive side runs only when the live side has no row (Append stops at
   * the LIMIT), so reads of live analyses cost what they did.
   */
  async findLiveOrArchived(db: Executor, id: string, tenantId: string): Promise<Analysis | undefined> {
    const r = await sql<ArchivableRow>`
      (SELECT r.*, NULL::timestamptz AS archived_at FROM media_analysis_requests r
       WHERE r.id = ${id} AND r.tenant_id = ${tenantId})
      UNION ALL
      (SELECT (${asLiveRecord}).*, a.archived_at FROM media_analysis_archive a
       WHERE a.id = ${id} AND a.tenant_id = ${tenantId})
      LIMIT 1`.execute(db);
    const row = r.rows[0];
    return row ? withArchivedAt(row) : undefined;
  },

  /**
   * `findLiveOrArchived` and the analysis's stages (`analysisStageRepository.list`) in one
   * statement: the status read costs one round trip and one pool checkout, not two.
   */
  async findLiveOrArchivedWithStages(
    db: Executor,
    id: string,
    tenantId: string,
  ): Promise<{ analysis: Analysis; stages: AnalysisStage[] } | undefined> {
    // The statement's text never changes: compiled once, then only the values go out.
    statusReadText ??= statusReadSql.compile(db).sql;
    const r = await db.executeQuery<StatusReadRow>(CompiledQuery.raw(statusReadText, [id, tenantId]));
    const row = r.rows[0];
    if (!row) return undefined;
    const { stages_json, ...analysis } = row;
    return { analysis: withArchivedAt(analysis), stages: stagesFromJson(stages_json) };
  },

  /**
   * History over live and archived analyses (UNION ALL): each side takes its own first
   * offset + limit keys in the page's order (index order on both), the union merges the
   * keys, and only the page's rows are read in full (an archived row is decoded from
   * JSON once, by a lateral call: `(f(x)).*` would call f once per column).
   */
  async listWithArchived(db: Executor, filter: ListFilter, page: ListPage): Promise<AnalysisListItem[]> {
    const offset = page.after ? 0 : (page.offset ?? 0);
    const live = pageSql(page, 'r', offset + page.limit);
    const archived = pageSql(page, 'a', offset + page.limit);
    const merged = pageSql({ ...page, after: undefined }, 'u', page.limit);
    const r = await sql<ListRow & { archived_at: Date | null }>`
      WITH page AS (
        SELECT * FROM (
          (SELECT false AS archived, r.id, r.created_at, r.updated_at FROM media_analysis_requests r
           WHERE ${filterSql(filter, 'r')} ${live.after} ${live.order})
          UNION ALL
          (SELECT true, a.id, a.created_at, a.updated_at FROM media_analysis_archive a
           WHERE ${filterSql(filter, 'a')} ${archived.after} ${archived.order})
        ) u
        ${merged.order} OFFSET ${offset}
      )
      SELECT * FROM (
        SELECT ${listColumnsSql('r')}, NULL::timestamptz AS archived_at
        FROM page p JOIN media_analysis_requests r ON r.id = p.id WHERE NOT p.archived
        UNION ALL
        SELECT ${listColumnsSql('rec')}, a.archived_at
        FROM page p JOIN media_analysis_archive a ON a.id = p.id AND a.created_at = p.created_at
        CROSS JOIN LATERAL ${asLiveRecord} rec
        WHERE p.archived
      ) u
      ${merged.order}`.execute(db);
    return r.rows.map((row) => toListItem(row, row.archived_at));
  },

  /** Archived analyses matching a history filter (a count over the tenant's archive index). */
  async count(db: Executor, filter: ListFilter): Promise<number> {
    const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM media_analysis_archive a WHERE ${filterSql(filter, 'a')}`.execute(db);
    return r.rows[0]?.n ?? 0;
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
