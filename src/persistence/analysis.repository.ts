/**
 * SQL for analysis requests. Status changes go through `transition`, which turns a
 * named transition of the state table into a guarded UPDATE; zero rows back means
 * somebody else moved the analysis first.
 */
import { sql, type RawBuilder, type Transaction, type Kysely } from 'kysely';
import type { Database, AnalysisRow, NewAnalysisRow, AnalysisUpdate } from './schema.ts';
import type {
  Analysis,
  AnalysisListItem,
  AnalysisStatus,
  ListFilter,
  ListPage,
  MediaType,
  SortColumn,
} from '../contract/analysis.types.ts';

/** One transition of the lifecycle table: the statuses it leaves and the one it enters. */
export interface TransitionRule {
  from: readonly AnalysisStatus[];
  to: AnalysisStatus;
}

type Executor = Kysely<Database> | Transaction<Database>;

/** A word of a stored transcript, as the local engine wrote it. */
export interface TranscriptWordRow {
  word: string;
  start: number;
  end: number;
  low_confidence?: boolean;
}

/** The columns of a history row (AnalysisListItem), read from the live table or an archived record. */
export function listColumnsSql(alias: string): RawBuilder<unknown> {
  const c = (name: string) => sql.ref(`${alias}.${name}`);
  return sql.join([...LIST_COLUMNS.map(c), sql`${partialSql(c('results'))} AS partial`]);
}

/** `results.partial === true`, in SQL (false for no results, a missing or a non-true flag). */
const partialSql = (results: RawBuilder<unknown>) =>
  sql<boolean>`coalesce(${results} -> 'partial' = 'true'::jsonb, false)`;
const LIST_COLUMNS = [
  'id',
  'tenant_id',
  'prompt',
  'source_url',
  'original_filename',
  'media_type',
  'status',
  'progress',
  'error_code',
  'retry_count',
  'created_at',
  'updated_at',
  'completed_at',
] as const;
export type ListRow = Pick<AnalysisRow, (typeof LIST_COLUMNS)[number]> & { partial: boolean };

export function toListItem(row: ListRow, archivedAt: Date | null = null): AnalysisListItem {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    prompt: row.prompt,
    sourceUrl: row.source_url,
    originalFilename: row.original_filename,
    mediaType: row.media_type as MediaType,
    status: row.status as AnalysisStatus,
    progress: row.progress,
    errorCode: row.error_code,
    retryCount: row.retry_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    archivedAt,
    partial: row.partial,
  };
}

export function toAnalysis(row: AnalysisRow): Analysis {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    correlationId: row.correlation_id,
    prompt: row.prompt,
    promptHash: row.prompt_hash,
    sourceUrl: row.source_url,
    originalFilename: row.original_filename,
    mediaType: row.media_type as MediaType,
    status: row.status as AnalysisStatus,
    progress: row.progress,
    config: row.analysis_config,
    options: row.analysis_options,
    results: row.results,
    modelUsed: row.model_used,
    latencyMs: row.latency_ms,
    errorMessage: row.error_message,
    errorCode: row.error_code,
    retryCount: row.retry_count,
    metadata: row.metadata,
    jobId: row.job_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    deletedAt: row.deleted_at,
  };
}

/**
 * The exact sort value of the row a history cursor points after. The cursor holds
 * milliseconds (a JS Date), PostgreSQL microseconds: keyset on the truncated value
 * repeats the boundary row (ascending) or skips rows in its millisecond (descending).
 * The row's own value is taken while it is within the cursor's millisecond (2 ms: the
 * driver's float parsing can round down one); a row gone or changed since keeps the
 * cursor's value.
 */
export function cursorValue(
  col: SortColumn,
  after: { sortValue: Date; id: string },
  tables: readonly string[],
): RawBuilder<Date> {
  const rows = tables.map((t) => sql`SELECT ${sql.ref(col)} AS v FROM ${sql.table(t)} WHERE id = ${after.id}::uuid`);
  return sql<Date>`COALESCE(
    (SELECT x.v FROM (${sql.join(rows, sql` UNION ALL `)}) x
     WHERE x.v >= ${after.sortValue} AND x.v < ${after.sortValue}::timestamptz + interval '2 milliseconds' LIMIT 1),
    ${after.sortValue}::timestamptz)`;
}

export const analysisRepository = {
  async insert(db: Executor, row: NewAnalysisRow): Promise<Analysis> {
    const inserted = await db
      .insertInto('media_analysis_requests')
      .values(row)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAnalysis(inserted);
  },

  /** Any row with this id owned by the tenant, deleted ones included (the caller decides 404 vs 410). */
  async findForTenant(db: Executor, id: string, tenantId: string): Promise<Analysis | undefined> {
    const row = await db
      .selectFrom('media_analysis_requests')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  },

  async findById(db: Executor, id: string): Promise<Analysis | undefined> {
    const row = await db.selectFrom('media_analysis_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  },

  /** A completed twin (same tenant, same prompt_hash) finished within the window, for `options.reuse`. */
  async findReusable(db: Executor, a: Analysis, windowHours: number): Promise<Analysis | undefined> {
    const row = await db
      .selectFrom('media_analysis_requests')
      .selectAll()
      .where('tenant_id', '=', a.tenantId)
      .where('prompt_hash', '=', a.promptHash)
      .where('status', '=', 'completed')
      .where('deleted_at', 'is', null)
      .where('id', '!=', a.id)
      .where('completed_at', '>', sql<Date>`now() - make_interval(hours => ${windowHours})`)
      .orderBy('completed_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  },

  /** The transcript words (`results.transcript.words`) of live analyses, by id; only that path of each result is read. */
  async transcriptWords(db: Executor, ids: readonly string[]): Promise<Map<string, TranscriptWordRow[]>> {
    if (ids.length === 0) return new Map();
    const r = await sql<{ id: string; words: TranscriptWordRow[] | null }>`
      SELECT id, results #> '{transcript,words}' AS words FROM media_analysis_requests
      WHERE id = ANY(${[...ids]}::uuid[])`.execute(db);
    return new Map(r.rows.map((row) => [row.id, Array.isArray(row.words) ? row.words : []]));
  },

  async findStatus(db: Executor, id: string): Promise<AnalysisStatus | undefined> {
    const row = await db.selectFrom('media_analysis_requests').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status as AnalysisStatus | undefined;
  },

  /**
   * Apply a transition (a row of the domain's table, handed in so this layer does not
   * import the domain): `UPDATE … WHERE id = $1 AND status = ANY(from) [AND version = $v]`.
   * Returns the updated analysis, or undefined when the guard did not match.
   */
  async transition(
    db: Executor,
    id: string,
    t: TransitionRule,
    patch: AnalysisUpdate = {},
    expectedVersion?: number,
  ): Promise<Analysis | undefined> {
    let q = db
      .updateTable('media_analysis_requests')
      .set({
        ...patch,
        status: t.to,
        version: sql<number>`version + 1`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', [...t.from]);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const row = await q.returningAll().executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  },

  /** Update fields of a processing analysis (progress, media type) without a status change. */
  async updateWhileProcessing(db: Executor, id: string, patch: AnalysisUpdate): Promise<boolean> {
    const r = await db
      .updateTable('media_analysis_requests')
      .set({ ...patch, version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** A history page: the list columns only (see AnalysisListItem). */
  async list(db: Executor, filter: ListFilter, page: ListPage): Promise<AnalysisListItem[]> {
    const col = page.sortBy;
    let q = applyFilter(
      db.selectFrom('media_analysis_requests').select([...LIST_COLUMNS, partialSql(sql.ref('results')).as('partial')]),
      filter,
    );
    if (page.after) {
      const cmp = page.order === 'desc' ? '<' : '>';
      q = q.where(
        sql<boolean>`(${sql.ref(col)}, id) ${sql.raw(cmp)} (${cursorValue(col, page.after, ['media_analysis_requests'])}, ${page.after.id}::uuid)`,
      );
    }
    q = q.orderBy(col, page.order).orderBy('id', page.order).limit(page.limit);
    if (page.offset && !page.after) q = q.offset(page.offset);
    return (await q.execute()).map((row) => toListItem(row));
  },

  /**
   * Inside a transaction: take the tenant's start lock (an advisory lock held to the end
   * of the transaction, so one tenant's starts are serialised and the count is exact) and
   * count the tenant's analyses now processing.
   */
  async lockTenantAndCountProcessing(trx: Transaction<Database>, tenantId: string): Promise<number> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${'tenant-cap:' + tenantId}))`.execute(trx);
    const running = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM media_analysis_requests
      WHERE tenant_id = ${tenantId} AND status = 'processing' AND deleted_at IS NULL`.execute(trx);
    return running.rows[0]?.n ?? 0;
  },

  /** Analyses per status over all tenants, from the trigger-kept counters. */
  async countByStatus(db: Executor): Promise<Array<{ status: string; n: number }>> {
    const r = await sql<{ status: string; n: number }>`
      SELECT status, sum(n)::int AS n FROM analysis_counts GROUP BY status`.execute(db);
    return r.rows;
  },

  /**
   * Total rows for a filter. Without a date range it is a sum over the trigger-kept
   * counters (constant cost); with one it counts the (bounded) range.
   */
  async count(db: Executor, filter: ListFilter): Promise<number> {
    if (!filter.dateFrom && !filter.dateTo) {
      let q = db
        .selectFrom('analysis_counts')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), sql<number>`0`).as('n'))
        .where('tenant_id', '=', filter.tenantId)
        .where('status', '!=', 'deleted');
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.mediaType) q = q.where('media_type', '=', filter.mediaType);
      const r = await q.executeTakeFirstOrThrow();
      return Number(r.n);
    }
    const r = await applyFilter(db.selectFrom('media_analysis_requests'), filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's builder types differ between select and count
function applyFilter<Q extends { where: (...args: any[]) => Q }>(q: Q, f: ListFilter): Q {
  q = q.where('tenant_id', '=', f.tenantId).where('deleted_at', 'is', null);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.mediaType) q = q.where('media_type', '=', f.mediaType);
  if (f.dateFrom) q = q.where('created_at', '>=', f.dateFrom);
  if (f.dateTo) q = q.where('created_at', '<=', f.dateTo);
  return q;
}
