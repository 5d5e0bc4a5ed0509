/**
 * Library search: a tenant's analyses ranked by how well their segments match a query,
 * by words (PostgreSQL full text) and by meaning (sentence embeddings), fused with
 * reciprocal rank fusion (RRF: score = Σ 1 / (K + rank) over the two lists), so a
 * segment that is high in either list, or fairly high in both, comes first.
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
import { segmentRepository } from '../../persistence/segment.repository.ts';
import {
  isFiltered,
  type SearchFilters,
  type SegmentDetail,
  type AnalysisBrief,
} from '../../persistence/segment.types.ts';
import type { Db } from '../../persistence/database.ts';

/** Longest query accepted (characters). */
export const MAX_QUERY_CHARS = 256;
/** Most terms used from one query. */
const MAX_TERMS = 16;
/** RRF's constant: dampens the weight of the very first ranks (the value from the original paper). */
export const RRF_K = 60;
/** Each list contributes this many segments to the fusion. */
const LIST_DEPTH = 100;
/**
 * The semantic side's two stages in memory (docs/decisions/0006): the SEMANTIC_POOL codes
 * nearest by Hamming distance, re-ranked by the query's own components against their
 * 2-bit codes (sign and magnitude bits); the best SEMANTIC_CANDIDATES of those are read
 * from PostgreSQL and re-scored exactly. bench/search.bench.ts sweeps both at 1,000,000
 * segments, where near-duplicate texts crowd the nearest codes. A filtered search reads
 * FILTERED_CANDIDATES: PostgreSQL drops the candidates of analyses the filters exclude,
 * and enough must be left to fill the list; its pool is FILTERED_POOL (the earlier 4,000
 * for every search) so fewer of the codes it can reach are excluded ones. Filtered recall
 * is not measured by the benchmark.
 */
export const SEMANTIC_POOL = 2500;
export const SEMANTIC_CANDIDATES = 200;
export const FILTERED_CANDIDATES = 800;
export const FILTERED_POOL = 4000;
/** Below this cosine a segment is not "about" the query at all and does not enter the fusion. */
export const MIN_SEMANTIC_SIMILARITY = 0.3;
const SEGMENTS_PER_ANALYSIS = 3;

export interface SearchRequest {
  tenantId: string;
  query: string;
  filters: SearchFilters;
  limit: number;
}

export interface SearchHitSegment {
  segment: SegmentDetail;
  score: number;
  matchedBy: Array<'text' | 'meaning'>;
  similarity: number | null;
}

export interface SearchHit {
  analysis: AnalysisBrief;
  score: number;
  segments: SearchHitSegment[];
}

export interface SearchResult {
  query: string;
  terms: string[];
  hits: SearchHit[];
  stats: { textMatches: number; semanticCandidates: number; semanticMatches: number; indexedSegments: number };
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
  private readonly embedder: () => Embedder;
  readonly index: SemanticIndex;
  private readonly queryVectors = new LRUCache<string, Float32Array>({ max: 1000 });

  private readonly candidates: number;
  private readonly pool: number;

  constructor(db: Db, embedder: () => Embedder, opts: { candidates?: number; pool?: number } = {}) {
    this.db = db;
    this.embedder = embedder;
    this.candidates = opts.candidates ?? SEMANTIC_CANDIDATES;
    this.pool = opts.pool ?? SEMANTIC_POOL;
    this.index = new SemanticIndex({
      codesAfter: (afterId, limit) => segmentRepository.codesAfter(db, afterId, limit),
      countUpTo: (upToId) => segmentRepository.countUpTo(db, upToId),
    });
  }

  private async embedQuery(query: string): Promise<Float32Array> {
    const key = query.toLowerCase();
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
    const rows = await segmentRepository.vectors(this.db, tenantId, candidates, filters);
    return { candidates: candidates.length, ranked: rankBySimilarity(vector, rows, limit) };
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const { query, terms } = checkQuery(req.query);
    // Words and meaning side by side: the full-text query starts while the query is embedded.
    const textList = segmentRepository.fullText(this.db, req.tenantId, terms, req.filters, LIST_DEPTH);
    const semanticList = this.embedQuery(query).then((vector) =>
      this.semantic(req.tenantId, vector, req.filters, LIST_DEPTH),
    );
    const [text, semantic] = await Promise.all([textList, semanticList]);
    const meaning = semantic.ranked.filter((r) => r.similarity >= MIN_SEMANTIC_SIMILARITY);

    const fused = new Map<
      number,
      { analysisId: string; score: number; by: Set<'text' | 'meaning'>; sim: number | null }
    >();
    const add = (id: number, analysisId: string, rank: number, by: 'text' | 'meaning', sim: number | null) => {
      const entry = fused.get(id) ?? { analysisId, score: 0, by: new Set(), sim: null };
      entry.score += 1 / (RRF_K + rank + 1);
      entry.by.add(by);
      if (sim !== null) entry.sim = sim;
      fused.set(id, entry);
    };
    text.forEach((r, i) => add(r.id, r.analysisId, i, 'text', null));
    meaning.forEach((r, i) => add(r.id, r.analysisId, i, 'meaning', r.similarity));

    // Analyses ranked by their best segment; each keeps its best few.
    const byAnalysis = new Map<
      string,
      Array<[number, { score: number; by: Set<'text' | 'meaning'>; sim: number | null }]>
    >();
    for (const [id, entry] of [...fused].sort((a, b) => b[1].score - a[1].score || a[0] - b[0])) {
      const list = byAnalysis.get(entry.analysisId) ?? [];
      if (list.length < SEGMENTS_PER_ANALYSIS) list.push([id, entry]);
      byAnalysis.set(entry.analysisId, list);
    }
    const top = [...byAnalysis].slice(0, req.limit);
    const segmentIds = top.flatMap(([, list]) => list.map(([id]) => id));
    const { segments: details, analyses } = await segmentRepository.hits(
      this.db,
      req.tenantId,
      segmentIds,
      top.map(([id]) => id),
    );
    const detailById = new Map(details.map((d) => [d.id, d]));
    const analysisById = new Map(analyses.map((a) => [a.id, a]));
    const hits: SearchHit[] = [];
    for (const [analysisId, list] of top) {
      const analysis = analysisById.get(analysisId);
      if (!analysis) continue;
      const segments = list
        .filter(([id]) => detailById.has(id))
        .map(([id, e]) => ({
          segment: detailById.get(id)!,
          score: round4(e.score),
          matchedBy: [...e.by].sort(),
          similarity: e.sim === null ? null : round4(e.sim),
        }));
      if (segments.length) hits.push({ analysis, score: segments[0]!.score, segments });
    }
    return {
      query,
      terms,
      hits,
      stats: {
        textMatches: text.length,
        semanticCandidates: semantic.candidates,
        semanticMatches: meaning.length,
        indexedSegments: this.index.size(),
      },
    };
  }
}

function round4(n: number): number {
  return Math.round(n * 10000) / 10000;
}
