/**
 * media_segments: what an analysis heard, read and saw, as searchable pieces (migration
 * 0007). Every read is scoped by tenant and skips deleted analyses (whose segments are
 * deleted with them); all inputs are bound parameters. Search's reads are in
 * segment-search.repository.ts and part of this object.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { segmentSearchReads } from './segment-search.repository.ts';
import {
  type NewSegment,
  type SegmentDetail,
  type SegmentKind,
  type SegmentVector,
} from '../contract/segment.types.ts';

/**
 * Rows per INSERT statement. Columns go in as one array each (`unnest`), so the number
 * of bind parameters is fixed; the chunk only bounds the size of one statement.
 */
const INSERT_CHUNK = 5000;

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

/**
 * A transcript window stored before migration 0015's release: no `sure_tsv` (before 0014),
 * or sure words that leave some out but no "[words?]" mark in the text (0014 to 0015).
 * The same condition as 0015's partial index, so the backfill reads through it.
 */
const OLD_TRANSCRIPT_WINDOW = sql<boolean>`kind = 'transcript' AND (sure_tsv IS NULL OR (sure_tsv <> tsv AND strpos(text, '?]') = 0))`;

export const segmentRepository = {
  ...segmentSearchReads,

  /**
   * Replaces an analysis' segments (a retried analysis must not have them twice). A named
   * person's segments are the people service's (they follow the person, not this stage).
   */
  async replaceForAnalysis(db: Kysely<Database>, analysisId: string, rows: NewSegment[]): Promise<number> {
    return db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('media_segments')
        .where('analysis_id', '=', analysisId)
        .where('person_id', 'is', null)
        .execute();
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
          (analysis_id, tenant_id, kind, start_seconds, end_seconds, page, text, embedding, code, magnitude, keyframe,
           sure_tsv)
        SELECT analysis_id, tenant_id, kind, start_seconds, end_seconds, page, text, embedding, code, magnitude, keyframe,
          CASE WHEN sure IS NULL THEN NULL ELSE to_tsvector('english', sure) END
        FROM unnest(
          ${column((r) => r.analysisId)}::uuid[], ${column((r) => r.tenantId)}::text[],
          ${column((r) => r.kind)}::text[], ${column((r) => r.startSeconds)}::double precision[],
          ${column((r) => r.endSeconds)}::double precision[], ${column((r) => r.page)}::integer[],
          ${column((r) => r.text)}::text[], ${column((r) => r.embedding)}::bytea[],
          ${column((r) => r.code)}::bytea[], ${column((r) => r.magnitude)}::bytea[],
          ${column((r) => r.keyframe)}::text[], ${column((r) => r.sure ?? null)}::text[])
          AS u(analysis_id, tenant_id, kind, start_seconds, end_seconds, page, text, embedding, code, magnitude, keyframe,
               sure)`.execute(db);
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

  /**
   * Transcript windows stored before migration 0015's release (every window since has
   * `sure_tsv`, and its unsure words marked): without `sure_tsv`, or with one that leaves
   * words out and no mark in the text. Read through the partial index that holds only them.
   */
  async transcriptWindowsWithoutSure(
    db: Kysely<Database>,
    afterId: number,
    limit: number,
  ): Promise<Array<{ id: number; analysisId: string; start: number | null; end: number | null; text: string }>> {
    const rows = await db
      .selectFrom('media_segments')
      .select(['id', 'analysis_id', 'start_seconds', 'end_seconds', 'text'])
      .where(OLD_TRANSCRIPT_WINDOW)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      analysisId: r.analysis_id,
      start: r.start_seconds,
      end: r.end_seconds,
      text: r.text,
    }));
  },

  /**
   * Stores an old window's shown text and the words search may match: `sure` null means
   * the window was not found in its transcript, so it keeps the words it was matched by
   * (all of its text when it had no `sure_tsv`; a window that had some stays as it is and
   * is looked at again next run). Rows locked by another writer are skipped (as setMagnitudes).
   */
  async setSureWords(
    db: Kysely<Database>,
    rows: ReadonlyArray<{ id: number; text: string; sure: string | null }>,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    const result = await sql`
      UPDATE media_segments s
      SET text = v.text,
          sure_tsv = CASE WHEN v.sure IS NOT NULL THEN to_tsvector('english', v.sure)
                          ELSE coalesce(s.sure_tsv, to_tsvector('english', v.text)) END
      FROM unnest(${ids}::bigint[], ${rows.map((r) => r.text)}::text[], ${rows.map((r) => r.sure)}::text[]) AS v(id, text, sure)
      WHERE s.id = v.id AND s.id IN (
        SELECT id FROM media_segments s WHERE id = ANY(${ids}::bigint[]) AND ${OLD_TRANSCRIPT_WINDOW}
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
