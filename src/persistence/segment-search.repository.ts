/**
 * The reads of library search over media_segments: full-text matches, the candidates'
 * vectors and word counts, and what a page of hits shows. Every read is scoped by tenant
 * and skips deleted analyses; all inputs are bound parameters. Part of segmentRepository
 * (segment.repository.ts), kept apart for size.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { PLAN_PER_CALL } from './database.ts';
import {
  isFiltered,
  type AnalysisBrief,
  type RankedSegment,
  type SearchFilters,
  type SegmentDetail,
  type SegmentKind,
  type SegmentVector,
} from '../contract/segment.types.ts';

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

/**
 * One full-text pass: the first FULL_TEXT_RANK_CAP matches of `tsquery` that pass the
 * filters, best `limit` of them (rank, then id).
 */
function fullTextPass(tenantId: string, tsquery: string, filters: SearchFilters, limit: number) {
  const f = analysisFilter(filters);
  // The indexes find matches by `tsv`; a transcript window's `sure_tsv` (its words without
  // the unsure ones, migration 0014) must match too, and is what it is ranked by.
  return sql`SELECT m.id, m.analysis_id, ts_rank_cd(m.tsv, to_tsquery('english', ${tsquery})) AS rank
    FROM (
      SELECT s.id, s.analysis_id, coalesce(s.sure_tsv, s.tsv) AS tsv
      FROM media_segments s ${f.join}
      WHERE s.tenant_id = ${tenantId} AND s.tsv @@ to_tsquery('english', ${tsquery})
        AND (s.sure_tsv IS NULL OR s.sure_tsv @@ to_tsquery('english', ${tsquery})) ${f.where}
      LIMIT ${FULL_TEXT_RANK_CAP}
    ) m
    ORDER BY rank DESC, m.id
    LIMIT ${limit}`;
}

/** A full-text match as the passes return it (`pass`: 1 every term, 2 any term; in that order). */
interface FullTextRow {
  pass?: number;
  id: string;
  analysis_id: string;
  rank: number;
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

export const segmentSearchReads = {
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
    // Planned for its values: a tenant holding most rows and a common word want the
    // words-only index, a small tenant the combined one (migration 0011).
    const every = fullTextPass(tenantId, terms.join(' & '), filters, limit);
    // Both passes in one statement (one round trip): the second runs only when the first
    // found fewer than `limit` (a one-time filter on the first's count), and PostgreSQL
    // does not start its scan otherwise.
    const query =
      terms.length === 1
        ? sql<FullTextRow>`${sql.raw(PLAN_PER_CALL)} ${every}`
        : sql<FullTextRow>`${sql.raw(PLAN_PER_CALL)}
          WITH every AS MATERIALIZED (${every})
          SELECT 1 AS pass, id, analysis_id, rank FROM every
          UNION ALL
          SELECT 2 AS pass, id, analysis_id, rank FROM (
            ${fullTextPass(tenantId, terms.join(' | '), filters, limit)}
          ) any_term WHERE (SELECT count(*) FROM every) < ${limit}
          ORDER BY pass, rank DESC, id`;
    const rows = (await query.execute(db)).rows;
    const seen = new Set<number>();
    const out: RankedSegment[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, analysisId: r.analysis_id, rank: Number(r.rank) });
    }
    return out.slice(0, limit);
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

  /**
   * A search's candidates (the given segments that belong to the tenant and pass the
   * filters) with their int8 vectors and how many of the query's terms each holds, and
   * how many of the terms can match at all (a word the text-search configuration drops,
   * such as one of its stop words, holds in no segment and does not count). With no
   * candidate the count is 0: nothing is scored against it. Each term's tsquery is built
   * once, not once per candidate.
   */
  async candidates(
    db: Kysely<Database>,
    tenantId: string,
    ids: number[],
    terms: string[],
    filters: SearchFilters,
  ): Promise<{ rows: Array<SegmentVector & { matchedTerms: number }>; effectiveTerms: number }> {
    if (ids.length === 0) return { rows: [], effectiveTerms: 0 };
    const f = analysisFilter(filters);
    const result = await sql<{
      id: string;
      analysis_id: string;
      embedding: string;
      matched: number;
      effective: number;
    }>`
      WITH q AS (
        SELECT coalesce(array_agg(plainto_tsquery('english', t)), '{}') AS queries FROM unnest(${terms}::text[]) t
        WHERE numnode(plainto_tsquery('english', t)) > 0)
      SELECT s.id, s.analysis_id, encode(s.embedding, 'base64') AS embedding,
        (SELECT count(*) FROM unnest(q.queries) tq WHERE coalesce(s.sure_tsv, s.tsv) @@ tq)::int AS matched,
        cardinality(q.queries) AS effective
      FROM media_segments s ${f.join} CROSS JOIN q
      WHERE s.id = ANY(${ids}::bigint[]) AND s.tenant_id = ${tenantId} ${f.where}`.execute(db);
    return {
      rows: result.rows.map((r) => ({
        id: Number(r.id),
        analysisId: r.analysis_id,
        embedding: Buffer.from(r.embedding, 'base64'),
        matchedTerms: Number(r.matched),
      })),
      effectiveTerms: Number(result.rows[0]?.effective ?? 0),
    };
  },

  /**
   * What a page of search hits shows, in one round trip: the segments by id (with the
   * artifact id of their keyframe when it is still stored) and the analyses they belong to
   * (not deleted); both only the tenant's. The analyses are looked up id by id by primary
   * key (a lateral read per wanted id that the planner may not flatten, OFFSET 0), and the
   * tenant is checked on what comes back: with `id = ANY(…) AND tenant_id = …` and
   * statistics that had not seen a tenant's new rows yet, PostgreSQL walked the tenant's
   * whole index instead, about a second of database time per search at 100,000 analyses
   * (bench/results/search-e2e.md at 1,000,000 segments, the `hits` phase).
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
         FROM unnest(${analysisIds}::uuid[]) AS wanted(id)
         CROSS JOIN LATERAL (SELECT * FROM media_analysis_requests x WHERE x.id = wanted.id OFFSET 0) a
         WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL) AS analyses`.execute(db);
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
};
