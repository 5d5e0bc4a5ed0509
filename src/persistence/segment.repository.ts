/**
 * media_segments: what an analysis heard, read and saw, as searchable pieces (migration
 * 0007). Every read is scoped by tenant and skips deleted analyses (whose segments are
 * deleted with them); all inputs are bound parameters.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { PLAN_PER_CALL } from './database.ts';
import {
  isFiltered,
  type AnalysisBrief,
  type NewSegment,
  type RankedSegment,
  type SearchFilters,
  type SegmentDetail,
  type SegmentKind,
  type SegmentVector,
} from './segment.types.ts';

/**
 * Rows per INSERT statement. Columns go in as one array each (`unnest`), so the number
 * of bind parameters is fixed; the chunk only bounds the size of one statement.
 */
const INSERT_CHUNK = 5000;

/**
 * The join to the analyses and its conditions, when a filter needs the analysis. With no
 * filter the segments are read alone: a deleted analysis has no segments (the trigger of
 * migration 0007 deletes them in the deleting transaction, and archiving deletes the row,
 * which cascades), so joining 2,000 candidates only to re-check deletion cost more than
 * the ranking itself (bench/search.bench.ts). The analyses read that builds the hits
 * still skips deleted ones, for a deletion that lands between the two reads.
 */
function analysisFilter(f: SearchFilters) {
  if (!isFiltered(f)) return { join: sql``, where: sql`` };
  return {
    join: sql`JOIN media_analysis_requests a ON a.id = s.analysis_id`,
    where: sql`AND a.deleted_at IS NULL
    ${f.mediaType ? sql`AND a.media_type = ${f.mediaType}` : sql``}
    ${f.status ? sql`AND a.status = ${f.status}` : sql``}
    ${f.dateFrom ? sql`AND a.created_at >= ${f.dateFrom}` : sql``}
    ${f.dateTo ? sql`AND a.created_at <= ${f.dateTo}` : sql``}`,
  };
}

/**
 * Matches ranked per full-text pass, at most. Ranking reads every matched row (its
 * tsvector), so a word found in 50,000 of a tenant's segments cost seconds at 1,000,000
 * segments (bench/search.bench.ts); past the cap a pass ranks the first matches in table
 * order and leaves the rest to the semantic side of the search. For a word that common the
 * ranked matches are an arbitrary few percent either way, so the cap is set by cost: 500
 * took a quarter to a half of the time of 2,000 on the bench database, and 200 (still
 * twice the list's depth) a third less PostgreSQL CPU per hybrid search than 500
 * (≈ 9–10 ms against 15–16 ms under 4 concurrent searches).
 */
export const FULL_TEXT_RANK_CAP = 200;

/** Stands in for a missing magnitude column value in the index's feed (64 zero bytes). */
const NO_MAGNITUDE = Buffer.alloc(64);

/** One tenant's page of the index's feed (semantic-index.ts CodePage). */
interface CodePageRows {
  tenantId: string;
  ids: number[];
  codes: Buffer;
  magnitudes: Buffer;
  bare: { ids: number[]; embeddings: Buffer };
}

/** One full-text pass: the first FULL_TEXT_RANK_CAP matches of `tsquery` that pass the filters, ranked. */
async function fullTextPass(
  db: Kysely<Database>,
  tenantId: string,
  tsquery: string,
  filters: SearchFilters,
  limit: number,
): Promise<RankedSegment[]> {
  const f = analysisFilter(filters);
  // Planned for its values: a tenant holding most rows and a common word want the
  // words-only index, a small tenant the combined one (migration 0011).
  const result = await sql<{ id: string; analysis_id: string; rank: number }>`
    ${sql.raw(PLAN_PER_CALL)} SELECT m.id, m.analysis_id, ts_rank_cd(m.tsv, to_tsquery('english', ${tsquery})) AS rank
    FROM (
      SELECT s.id, s.analysis_id, s.tsv
      FROM media_segments s ${f.join}
      WHERE s.tenant_id = ${tenantId} AND s.tsv @@ to_tsquery('english', ${tsquery}) ${f.where}
      LIMIT ${FULL_TEXT_RANK_CAP}
    ) m
    ORDER BY rank DESC, m.id
    LIMIT ${limit}`.execute(db);
  return result.rows.map((r) => ({ id: Number(r.id), analysisId: r.analysis_id, rank: Number(r.rank) }));
}

/** A segment of a search hit as json_build_object writes it. */
interface SegmentJson {
  id: number;
  analysis_id: string;
  kind: SegmentKind;
  start_seconds: number | null;
  end_seconds: number | null;
  page: number | null;
  text: string;
  keyframe_id: string | null;
}

/** An analysis of a search hit as json_build_object writes it (timestamps as ISO strings). */
interface AnalysisJson {
  id: string;
  media_type: string;
  status: string;
  created_at: string;
  summary: string | null;
  original_filename: string | null;
}

export const segmentRepository = {
  /** Replaces an analysis' segments (a retried analysis must not have them twice). */
  async replaceForAnalysis(db: Kysely<Database>, analysisId: string, rows: NewSegment[]): Promise<number> {
    return db.transaction().execute(async (trx) => {
      await trx.deleteFrom('media_segments').where('analysis_id', '=', analysisId).execute();
      return segmentRepository.insertMany(trx, rows);
    });
  },

  /**
   * Appends segments, INSERT_CHUNK rows per statement with one array per column (the
   * bulk path: the indexer inside its transaction, and the search benchmark's seeding).
   */
  async insertMany(db: Kysely<Database>, rows: readonly NewSegment[]): Promise<number> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const column = <T>(pick: (r: NewSegment) => T) => chunk.map(pick);
      await sql`
        INSERT INTO media_segments
          (analysis_id, tenant_id, kind, start_seconds, end_seconds, page, text, embedding, code, magnitude, keyframe)
        SELECT * FROM unnest(
          ${column((r) => r.analysisId)}::uuid[], ${column((r) => r.tenantId)}::text[],
          ${column((r) => r.kind)}::text[], ${column((r) => r.startSeconds)}::double precision[],
          ${column((r) => r.endSeconds)}::double precision[], ${column((r) => r.page)}::integer[],
          ${column((r) => r.text)}::text[], ${column((r) => r.embedding)}::bytea[],
          ${column((r) => r.code)}::bytea[], ${column((r) => r.magnitude)}::bytea[],
          ${column((r) => r.keyframe)}::text[])`.execute(db);
    }
    return rows.length;
  },

  async countForAnalysis(db: Kysely<Database>, analysisId: string): Promise<number> {
    const row = await db
      .selectFrom('media_segments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('analysis_id', '=', analysisId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * The index's feed: rows added after `afterId`, at most `limit` in id order, as one
   * page per tenant — its ids, codes and magnitude bits end to end in one bytea each (a
   * million codes arrive as twenty values, not a million small buffers). Rows without
   * magnitude bits (from before migration 0012) come with zeros there, and their ids and
   * int8 embeddings once more under `bare`, for the index to compute the bits.
   */
  async codesAfter(
    db: Kysely<Database>,
    afterId: number,
    limit: number,
  ): Promise<{ pages: CodePageRows[]; rows: number; lastId: number }> {
    const result = await sql<{
      tenant_id: string;
      ids: string[];
      codes: Buffer;
      magnitudes: Buffer;
      bare_ids: string[] | null;
      bare_embeddings: Buffer | null;
    }>`
      SELECT tenant_id, array_agg(id ORDER BY id) AS ids, string_agg(code, ''::bytea ORDER BY id) AS codes,
        string_agg(coalesce(magnitude, ${NO_MAGNITUDE}), ''::bytea ORDER BY id) AS magnitudes,
        array_agg(id ORDER BY id) FILTER (WHERE magnitude IS NULL) AS bare_ids,
        string_agg(embedding, ''::bytea ORDER BY id) FILTER (WHERE magnitude IS NULL) AS bare_embeddings
      FROM (
        SELECT id, tenant_id, code, magnitude, CASE WHEN magnitude IS NULL THEN embedding END AS embedding
        FROM media_segments WHERE id > ${afterId} ORDER BY id LIMIT ${limit}
      ) page
      GROUP BY tenant_id`.execute(db);
    let rows = 0;
    let lastId = afterId;
    const pages = result.rows.map((r) => {
      const ids = r.ids.map(Number);
      rows += ids.length;
      lastId = Math.max(lastId, ids[ids.length - 1] ?? afterId);
      const bare = { ids: (r.bare_ids ?? []).map(Number), embeddings: r.bare_embeddings ?? Buffer.alloc(0) };
      return { tenantId: r.tenant_id, ids, codes: r.codes, magnitudes: r.magnitudes, bare };
    });
    return { pages, rows, lastId };
  },

  /**
   * Rows stored without magnitude bits (before migration 0012), in id order after
   * `afterId`: their int8 embeddings, for the backfill. The partial index of 0012 holds
   * only such rows, so this stays cheap once they are done.
   */
  async withoutMagnitude(
    db: Kysely<Database>,
    afterId: number,
    limit: number,
  ): Promise<Array<{ id: number; embedding: Buffer }>> {
    const rows = await db
      .selectFrom('media_segments')
      .select(['id', 'embedding'])
      .where('magnitude', 'is', null)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), embedding: r.embedding }));
  },

  /**
   * Stores magnitude bits for rows that have none yet. Rows locked by another writer (an
   * analysis being re-indexed deletes its rows) are skipped rather than waited for: no
   * lock-order deadlock, and a deleted row needs no bits.
   */
  async setMagnitudes(db: Kysely<Database>, ids: number[], magnitudes: Buffer[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await sql`
      UPDATE media_segments s SET magnitude = v.magnitude
      FROM unnest(${ids}::bigint[], ${magnitudes}::bytea[]) AS v(id, magnitude)
      WHERE s.id = v.id AND s.id IN (
        SELECT id FROM media_segments WHERE id = ANY(${ids}::bigint[]) AND magnitude IS NULL
        FOR UPDATE SKIP LOCKED)`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  },

  async countUpTo(db: Kysely<Database>, upToId: number): Promise<number> {
    const row = await db
      .selectFrom('media_segments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', '<=', upToId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * Full-text matches of a tenant, best first. `terms` are already reduced to letters and
   * digits. Segments holding every term come first; when they are fewer than `limit`,
   * segments holding any term follow (ts_rank_cd rewards more terms, and terms close
   * together). Each pass ranks at most FULL_TEXT_RANK_CAP matches: see fullTextPass.
   */
  async fullText(
    db: Kysely<Database>,
    tenantId: string,
    terms: string[],
    filters: SearchFilters,
    limit: number,
  ): Promise<RankedSegment[]> {
    if (terms.length === 0) return [];
    // The capped passes must pick the same matches every time: the pool's connections turn
    // off synchronized scans and parallel plans (database.ts), which would otherwise make a
    // sequential scan (the plan for a very common word) start where the last one stopped,
    // or take whichever worker answered first.
    const every = await fullTextPass(db, tenantId, terms.join(' & '), filters, limit);
    if (terms.length === 1 || every.length >= limit) return every;
    const seen = new Set(every.map((r) => r.id));
    const any = await fullTextPass(db, tenantId, terms.join(' | '), filters, limit);
    return [...every, ...any.filter((r) => !seen.has(r.id))].slice(0, limit);
  },

  /** int8 vectors of the given segments that belong to the tenant and pass the filters. */
  async vectors(
    db: Kysely<Database>,
    tenantId: string,
    ids: number[],
    filters: SearchFilters,
  ): Promise<SegmentVector[]> {
    if (ids.length === 0) return [];
    const f = analysisFilter(filters);
    const result = await sql<{ id: string; analysis_id: string; embedding: string }>`
      SELECT s.id, s.analysis_id, encode(s.embedding, 'base64') AS embedding
      FROM media_segments s ${f.join}
      WHERE s.id = ANY(${ids}::bigint[]) AND s.tenant_id = ${tenantId} ${f.where}`.execute(db);
    return result.rows.map((r) => ({
      id: Number(r.id),
      analysisId: r.analysis_id,
      embedding: Buffer.from(r.embedding, 'base64'),
    }));
  },

  /** Every int8 vector of a tenant (the exact scan the benchmark and the recall test compare with). */
  async allVectors(db: Kysely<Database>, tenantId: string): Promise<SegmentVector[]> {
    const result = await sql<{ id: string; analysis_id: string; embedding: Buffer }>`
      SELECT s.id, s.analysis_id, s.embedding FROM media_segments s
      JOIN media_analysis_requests a ON a.id = s.analysis_id
      WHERE s.tenant_id = ${tenantId} AND a.deleted_at IS NULL`.execute(db);
    return result.rows.map((r) => ({ id: Number(r.id), analysisId: r.analysis_id, embedding: r.embedding }));
  },

  /** A tenant's int8 vectors after `afterId` in id order: an exact scan of a large tenant, page by page. */
  async vectorsAfter(db: Kysely<Database>, tenantId: string, afterId: number, limit: number): Promise<SegmentVector[]> {
    const result = await sql<{ id: string; analysis_id: string; embedding: Buffer }>`
      SELECT s.id, s.analysis_id, s.embedding FROM media_segments s
      JOIN media_analysis_requests a ON a.id = s.analysis_id
      WHERE s.tenant_id = ${tenantId} AND s.id > ${afterId} AND a.deleted_at IS NULL
      ORDER BY s.id LIMIT ${limit}`.execute(db);
    return result.rows.map((r) => ({ id: Number(r.id), analysisId: r.analysis_id, embedding: r.embedding }));
  },

  /**
   * What a page of search hits shows, in one round trip: the segments by id (with the
   * artifact id of their keyframe when it is still stored) and the analyses they belong to
   * (not deleted); both only the tenant's.
   */
  async hits(
    db: Kysely<Database>,
    tenantId: string,
    segmentIds: number[],
    analysisIds: string[],
  ): Promise<{ segments: SegmentDetail[]; analyses: AnalysisBrief[] }> {
    if (segmentIds.length === 0) return { segments: [], analyses: [] };
    const result = await sql<{ segments: SegmentJson[] | null; analyses: AnalysisJson[] | null }>`
      SELECT
        (SELECT json_agg(json_build_object(
            'id', s.id, 'analysis_id', s.analysis_id, 'kind', s.kind, 'start_seconds', s.start_seconds,
            'end_seconds', s.end_seconds, 'page', s.page, 'text', s.text, 'keyframe_id', f.id))
         FROM media_segments s
         LEFT JOIN media_files f
           ON f.analysis_id = s.analysis_id AND f.relative_path = s.keyframe AND f.deleted_at IS NULL
         WHERE s.tenant_id = ${tenantId} AND s.id = ANY(${segmentIds}::bigint[])) AS segments,
        (SELECT json_agg(json_build_object(
            'id', a.id, 'media_type', a.media_type, 'status', a.status, 'created_at', a.created_at,
            'summary', a.results->>'summary', 'original_filename', a.original_filename))
         FROM media_analysis_requests a
         WHERE a.id = ANY(${analysisIds}::uuid[]) AND a.tenant_id = ${tenantId} AND a.deleted_at IS NULL) AS analyses`.execute(
      db,
    );
    const row = result.rows[0];
    return {
      segments: (row?.segments ?? []).map((r) => ({
        id: Number(r.id),
        analysisId: r.analysis_id,
        kind: r.kind,
        startSeconds: r.start_seconds,
        endSeconds: r.end_seconds,
        page: r.page,
        text: r.text,
        keyframe: r.keyframe_id,
      })),
      analyses: (row?.analyses ?? []).map((r) => ({
        id: r.id,
        mediaType: r.media_type,
        status: r.status,
        createdAt: new Date(r.created_at),
        resultSummary: r.summary,
        originalFilename: r.original_filename,
      })),
    };
  },

  /** Segments of one analysis in reading order (for the answer stage). */
  async forAnalysis(db: Kysely<Database>, analysisId: string): Promise<Array<SegmentDetail & { embedding: Buffer }>> {
    const rows = await db
      .selectFrom('media_segments')
      .select(['id', 'analysis_id', 'kind', 'start_seconds', 'end_seconds', 'page', 'text', 'keyframe', 'embedding'])
      .where('analysis_id', '=', analysisId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      analysisId: r.analysis_id,
      kind: r.kind as SegmentKind,
      startSeconds: r.start_seconds,
      endSeconds: r.end_seconds,
      page: r.page,
      text: r.text,
      keyframe: r.keyframe,
      embedding: r.embedding,
    }));
  },
};
