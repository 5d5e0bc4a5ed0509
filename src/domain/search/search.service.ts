/**
 * Library search: a tenant's analyses ranked by how well their segments match a query,
 * by words (PostgreSQL full text) and by meaning (sentence embeddings).
 *
 * Candidates come from both sides — the full-text matches and the nearest embeddings —
 * and every candidate is then scored on one absolute scale, whichever side found it:
 *
 *   relevance = (1 − textWeight) × similarity + textWeight × coverage
 *
 * where similarity is the exact cosine of the query's and the segment's embeddings and
 * coverage the share of the query's words the segment holds. A segment below
 * SEARCH_CALIBRATION.relevanceFloor is not a match at all, so a query about something no
 * analysis holds returns nothing (rank fusion, used before, ranks whatever exists and has
 * no floor). Hits are analyses, ranked by their best segment, each quoting its best few.
 * The weight and the floor were chosen by bench/quality/search.eval.ts on labelled queries
 * over real findings (calibration.ts).
 *
 * The query is embedded in a worker thread (the HTTP event loop never runs the model);
 * the semantic side scans the tenant's sign codes in memory and re-scores the nearest
 * candidates exactly from PostgreSQL, which also applies the tenant, deletion and
 * filter conditions — nothing leaves this service that PostgreSQL did not return for
 * this tenant.
 */
import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.ts';
import { STOP_WORDS } from '../../nlp/text-understanding.ts';
import { cosinesInt8 } from '../../nlp/vector-codec.ts';
import type { Embedder } from '../../nlp/embedder.ts';
import { SemanticIndex } from '../../search/semantic-index.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import { SEARCH_CALIBRATION } from '../analysis/calibration.ts';
import {
  isFiltered,
  type SearchFilters,
  type SegmentDetail,
  type AnalysisBrief,
} from '../../contract/segment.types.ts';
import type { Db } from '../../persistence/database.ts';

/** Longest query accepted (characters). */
export const MAX_QUERY_CHARS = 256;
/** Most terms used from one query. */
const MAX_TERMS = 16;
/** The full-text side contributes this many segments to the candidates. */
const LIST_DEPTH = 100;
/**
 * The semantic side's two stages in memory (docs/decisions/0006): the SEMANTIC_POOL codes
 * nearest by Hamming distance, re-ranked by the query's own components against their
 * 2-bit codes (sign and magnitude bits); the best SEMANTIC_CANDIDATES of those are read
 * from PostgreSQL and re-scored exactly. bench/search.bench.ts sweeps both at 1,000,000
 * segments, where near-duplicate texts crowd the nearest codes. A filtered search reads
 * FILTERED_CANDIDATES: PostgreSQL drops the candidates of analyses the filters exclude,
 * and enough must be left to fill the list; its pool is FILTERED_POOL (larger than
 * SEMANTIC_POOL) so fewer of the codes it can reach are excluded ones. Filtered recall
 * is not measured by the benchmark.
 */
export const SEMANTIC_POOL = 2500;
export const SEMANTIC_CANDIDATES = 200;
export const FILTERED_CANDIDATES = 800;
export const FILTERED_POOL = 4000;
/** Segments quoted per analysis hit (its best ones above the floor). */
export const SEGMENTS_PER_ANALYSIS = 3;

/** How a segment's relevance is computed, and the least that counts as a match. */
export interface RelevanceSettings {
  /** Share of the relevance that comes from the query's words (the rest from meaning), 0–1. */
  textWeight: number;
  /** Least relevance of a matching segment. */
  floor: number;
}

/** The product's settings: chosen on the evaluation's tuning split (calibration.ts). */
export function calibratedRelevance(): RelevanceSettings {
  return { textWeight: SEARCH_CALIBRATION.textWeight.value, floor: SEARCH_CALIBRATION.relevanceFloor.value };
}

/** One candidate segment with both of its measures, before any floor. */
export interface ScoredCandidate {
  id: number;
  analysisId: string;
  /** Exact cosine of the query's and the segment's embeddings. */
  similarity: number;
  /** Share of the query's words the segment holds (0–1). */
  coverage: number;
}

/** A segment's relevance under the given settings. */
export function relevance(c: { similarity: number; coverage: number }, s: RelevanceSettings): number {
  return (1 - s.textWeight) * c.similarity + s.textWeight * c.coverage;
}

/** A ranked analysis: its score (its best segment's relevance) and its best segments, best first. */
export interface RankedAnalysis {
  analysisId: string;
  score: number;
  segments: Array<ScoredCandidate & { relevance: number }>;
}

/**
 * Candidates to ranked analyses: segments below the floor dropped, the rest grouped by
 * analysis, analyses ordered by their best segment (then their second best, then id, so
 * the order is stable), each keeping its best `perAnalysis`. Pure: the evaluation sweeps
 * settings over the same candidates with it.
 */
export function rankAnalyses(
  candidates: readonly ScoredCandidate[],
  settings: RelevanceSettings,
  limit: number,
  perAnalysis = SEGMENTS_PER_ANALYSIS,
): RankedAnalysis[] {
  const scored = candidates
    .map((c) => ({ ...c, relevance: relevance(c, settings) }))
    .filter((c) => c.relevance >= settings.floor)
    .sort((a, b) => b.relevance - a.relevance || a.id - b.id);
  const byAnalysis = new Map<string, RankedAnalysis['segments']>();
  for (const c of scored) {
    const list = byAnalysis.get(c.analysisId) ?? [];
    list.push(c);
    byAnalysis.set(c.analysisId, list);
  }
  return [...byAnalysis]
    .map(([analysisId, list]) => ({ analysisId, score: list[0]!.relevance, second: list[1]?.relevance ?? 0, list }))
    .sort((a, b) => b.score - a.score || b.second - a.second || a.analysisId.localeCompare(b.analysisId))
    .slice(0, limit)
    .map((a) => ({ analysisId: a.analysisId, score: a.score, segments: a.list.slice(0, perAnalysis) }));
}

export interface SearchRequest {
  tenantId: string;
  query: string;
  filters: SearchFilters;
  limit: number;
}

export interface SearchHitSegment {
  segment: SegmentDetail;
  /** relevance (see the top of this file), 0–1 in practice. */
  score: number;
  /** 'text' when it holds a word of the query, 'meaning' when its similarity alone reaches the floor. */
  matchedBy: Array<'text' | 'meaning'>;
  similarity: number;
}

export interface SearchHit {
  analysis: AnalysisBrief;
  /** Its best segment's relevance. */
  score: number;
  segments: SearchHitSegment[];
}

/**
 * Where one search's time went, in milliseconds (the HTTP route sends it as a
 * Server-Timing header). Three run side by side from the start: `text` (the full-text
 * list), `embed` (the query's vector, waiting for the model thread included) and `sync`
 * (the index catching up with rows added since the last search: a read from PostgreSQL);
 * `index` (the nearest codes, in memory) follows embed and sync; then `candidates` reads and
 * scores every candidate, `hits` reads what the page shows. Each is measured from where it
 * starts, so text, embed and sync overlap.
 */
export interface SearchTimings {
  text: number;
  embed: number;
  sync: number;
  index: number;
  candidates: number;
  hits: number;
}

export interface SearchResult {
  query: string;
  terms: string[];
  hits: SearchHit[];
  /** The floor a segment had to reach. */
  floor: number;
  stats: {
    textMatches: number;
    semanticCandidates: number;
    /** Candidate segments at or above the floor (over every analysis, before the limit). */
    relevantSegments: number;
    indexedSegments: number;
  };
  timings: SearchTimings;
}

/** The words of a query that can match: letters and digits only, stop words removed. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => !STOP_WORDS.has(w) && (w.length > 1 || /\d/.test(w))))].slice(0, MAX_TERMS);
}

/** Checks a raw query; returns it trimmed with its terms, or throws a 400 with a stable code. */
export function checkQuery(raw: string | undefined): { query: string; terms: string[] } {
  // eslint-disable-next-line no-control-regex -- control characters are stripped on purpose
  const query = (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (query.length > MAX_QUERY_CHARS)
    throw new AppError('SEARCH_QUERY_TOO_LONG', `The query has ${query.length} characters; at most ${MAX_QUERY_CHARS}`);
  const terms = queryTerms(query);
  if (terms.length === 0)
    throw new AppError(
      'SEARCH_QUERY_EMPTY',
      query
        ? 'The query has only common words (like "the", "a", "about"); add a word that says what to find'
        : 'Give a query in q, e.g. q=invoice 48213',
    );
  return { query, terms };
}

/** Exact semantic ranking of the given vectors (used on candidates, and by the recall test on everything). */
export function rankBySimilarity<T extends { embedding: Uint8Array }>(
  query: Float32Array,
  rows: readonly T[],
  limit: number,
): Array<T & { similarity: number }> {
  const similarity = cosinesInt8(
    query,
    rows.map((r) => r.embedding),
  );
  // Best first; equal scores keep the rows' order.
  const order = Array.from(rows.keys()).sort((a, b) => similarity[b]! - similarity[a]! || a - b);
  return order.slice(0, limit).map((i) => ({ ...rows[i]!, similarity: similarity[i]! }));
}

export class SearchService {
  private readonly db: Db;
  private readonly repos: Pick<Repositories, 'segments'>;
  private readonly embedder: () => Embedder;
  readonly index: SemanticIndex;
  /** Query vectors by tenant and query: a shared key would tell one tenant (by its speed) what another searched. */
  private readonly queryVectors = new LRUCache<string, Float32Array>({ max: 1000 });

  private readonly candidates: number;
  private readonly pool: number;

  constructor(
    db: Db,
    repos: Pick<Repositories, 'segments'>,
    embedder: () => Embedder,
    opts: { candidates?: number; pool?: number; onIndexRebuildError?: (err: unknown) => void } = {},
  ) {
    this.db = db;
    this.repos = repos;
    this.embedder = embedder;
    this.candidates = opts.candidates ?? SEMANTIC_CANDIDATES;
    this.pool = opts.pool ?? SEMANTIC_POOL;
    this.index = new SemanticIndex(
      {
        codesAfter: (afterId, limit) => repos.segments.codesAfter(db, afterId, limit),
        countUpTo: (upToId) => repos.segments.countUpTo(db, upToId),
      },
      { onRebuildError: opts.onIndexRebuildError },
    );
  }

  /**
   * Loads the index and the embedding model ahead of the first search (an API process calls
   * it as it starts, without waiting). A search arriving meanwhile waits for the same load
   * instead of starting its own.
   */
  async warm(): Promise<void> {
    await Promise.all([this.index.catchUp(), this.embedder().embed(['warm up'])]);
  }

  private async embedQuery(tenantId: string, query: string): Promise<Float32Array> {
    const key = `${tenantId}\u0000${query.toLowerCase()}`;
    const cached = this.queryVectors.get(key);
    if (cached) return cached;
    const [vector] = await this.embedder().embed([query]);
    this.queryVectors.set(key, vector!);
    return vector!;
  }

  /** The semantic list: nearest codes in memory, re-scored exactly from PostgreSQL. */
  async semantic(tenantId: string, vector: Float32Array, filters: SearchFilters, limit: number) {
    await this.index.catchUp();
    const filtered = isFiltered(filters);
    const count = filtered ? Math.max(this.candidates, FILTERED_CANDIDATES) : this.candidates;
    const pool = filtered ? Math.max(this.pool, FILTERED_POOL) : this.pool;
    const candidates = this.index.nearestTo(tenantId, vector, count, pool);
    const rows = await this.repos.segments.vectors(this.db, tenantId, candidates, filters);
    return { candidates: candidates.length, ranked: rankBySimilarity(vector, rows, limit) };
  }

  /**
   * Every candidate of a query with its similarity and word coverage, before any floor:
   * the full-text matches and the nearest embeddings, read in one query that applies the
   * tenant and the filters.
   */
  async scoredCandidates(req: SearchRequest): Promise<{
    query: string;
    terms: string[];
    textMatches: number;
    semanticCandidates: number;
    scored: ScoredCandidate[];
    timings: Omit<SearchTimings, 'hits'>;
  }> {
    const { query, terms } = checkQuery(req.query);
    const started = performance.now();
    const since = (t: number) => round1(performance.now() - t);
    const timings = { text: 0, embed: 0, sync: 0, index: 0, candidates: 0 };
    // Words and meaning side by side: the full-text query runs while the query is embedded.
    const textList = this.repos.segments
      .fullText(this.db, req.tenantId, terms, req.filters, LIST_DEPTH)
      .finally(() => (timings.text = since(started)));
    // The index catches up with rows added since the last search (a read from PostgreSQL)
    // beside both: it does not need the query's vector, only to be done before the scan.
    const synced = this.index.catchUp().finally(() => (timings.sync = since(started)));
    // Handled here as well, so a failure while the embedding fails first is not left unhandled.
    synced.catch(() => undefined);
    const nearest = this.embedQuery(req.tenantId, query).then(async (vector) => {
      timings.embed = since(started);
      await synced;
      const indexed = performance.now();
      const filtered = isFiltered(req.filters);
      const count = filtered ? Math.max(this.candidates, FILTERED_CANDIDATES) : this.candidates;
      const pool = filtered ? Math.max(this.pool, FILTERED_POOL) : this.pool;
      const ids = this.index.nearestTo(req.tenantId, vector, count, pool);
      timings.index = since(indexed);
      return { vector, ids };
    });
    const [text, semantic] = await Promise.all([textList, nearest]);
    const read = performance.now();
    const ids = [...new Set([...text.map((r) => r.id), ...semantic.ids])];
    const { rows, effectiveTerms } = await this.repos.segments.candidates(
      this.db,
      req.tenantId,
      ids,
      terms,
      req.filters,
    );
    const similarity = cosinesInt8(
      semantic.vector,
      rows.map((r) => r.embedding),
    );
    const scored = rows.map((r, i) => ({
      id: r.id,
      analysisId: r.analysisId,
      similarity: similarity[i]!,
      coverage: effectiveTerms > 0 ? Math.min(1, r.matchedTerms / effectiveTerms) : 0,
    }));
    timings.candidates = since(read);
    return { query, terms, textMatches: text.length, semanticCandidates: semantic.ids.length, scored, timings };
  }

  async search(req: SearchRequest, settings: RelevanceSettings = calibratedRelevance()): Promise<SearchResult> {
    const found = await this.scoredCandidates(req);
    const read = performance.now();
    const top = rankAnalyses(found.scored, settings, req.limit);
    const segmentIds = top.flatMap((a) => a.segments.map((s) => s.id));
    const { segments: details, analyses } = await this.repos.segments.hits(
      this.db,
      req.tenantId,
      segmentIds,
      top.map((a) => a.analysisId),
    );
    const detailById = new Map(details.map((d) => [d.id, d]));
    const analysisById = new Map(analyses.map((a) => [a.id, a]));
    const hits: SearchHit[] = [];
    for (const ranked of top) {
      const analysis = analysisById.get(ranked.analysisId);
      if (!analysis) continue;
      const segments = ranked.segments
        .filter((s) => detailById.has(s.id))
        .map((s) => ({
          segment: detailById.get(s.id)!,
          score: round4(s.relevance),
          matchedBy: [
            ...(s.similarity >= settings.floor ? (['meaning'] as const) : []),
            ...(s.coverage > 0 ? (['text'] as const) : []),
          ],
          similarity: round4(s.similarity),
        }));
      if (segments.length) hits.push({ analysis, score: segments[0]!.score, segments });
    }
    return {
      query: found.query,
      terms: found.terms,
      hits,
      floor: settings.floor,
      stats: {
        textMatches: found.textMatches,
        semanticCandidates: found.semanticCandidates,
        relevantSegments: found.scored.filter((c) => relevance(c, settings) >= settings.floor).length,
        indexedSegments: this.index.tenantSize(req.tenantId),
      },
      timings: { ...found.timings, hits: round1(performance.now() - read) },
    };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round4(n: number): number {
  return Math.round(n * 10000) / 10000;
}
