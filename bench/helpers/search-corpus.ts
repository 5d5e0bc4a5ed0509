/**
 * A search corpus in a benchmark database, shared by the end-to-end search benchmark
 * (bench/search-e2e.bench.ts) and the performance guard's search slice
 * (bench/guard.bench.ts): distinct real sentences stored as segments with the service's
 * own embeddings, distinct queries cut from held-out sentences, and the exact top-K of a
 * query over every stored vector (the reference the semantic side's recall is read against).
 */
import path from 'node:path';
import pg from 'pg';
import { createDatabase } from '../../src/persistence/database.ts';
import { loadConfig } from '../../src/config/config.ts';
import { segmentRepository } from '../../src/persistence/segment.repository.ts';
import type { NewSegment } from '../../src/contract/segment.types.ts';
import { EMBEDDING_DIMS } from '../../src/nlp/embedder.ts';
import { cosineInt8, magnitudeCode, quantizeInt8, signCode } from '../../src/nlp/vector-codec.ts';
import { queryTerms } from '../../src/domain/search/search.service.ts';
import { prng } from './sentence-corpus.ts';

/** The end-to-end benchmark's cache of sentence lists and embeddings (git-ignored). */
export const E2E_CACHE_DIR = path.resolve('data/bench-search-e2e');
/** Sentences at the end of the corpus order kept out of every stored corpus: queries come from them. */
export const HELD_OUT = 2000;

/** Segments per seeded analysis (a document of that many pages). */
export const SEGMENTS_PER_ANALYSIS = 10;

/** Distinct 2-5 word queries cut from held-out sentences (letters and digits only, lower case). */
export function makeQueries(sentences: string[], count: number, taken: Set<string>, seed: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const words = sentences[Math.floor(rand() * sentences.length)]!.toLowerCase()
      .replace(/[^\p{L}\p{N} ]/gu, ' ')
      .split(/\s+/)
      .filter(Boolean);
    const n = 2 + Math.floor(rand() * 4);
    if (words.length < n) continue;
    const at = Math.floor(rand() * (words.length - n + 1));
    const q = words.slice(at, at + n).join(' ');
    // A query of only common words is refused (SEARCH_QUERY_EMPTY): not a search to time.
    if (q.length < 8 || taken.has(q) || queryTerms(q).length === 0) continue;
    taken.add(q);
    out.push(q);
  }
  return out;
}

/**
 * Store `total` segments of tenant-0 (SEGMENTS_PER_ANALYSIS per completed document
 * analysis): segment i is texts[i % texts.length] with its embedding (`vectors`:
 * texts.length × EMBEDDING_DIMS), so with `total` up to three times texts.length each
 * sentence is in up to three documents. Through the service's own repository; VACUUM
 * ANALYZE after. Returns the milliseconds it took.
 */
export async function seedSegments(
  url: string,
  texts: string[],
  vectors: Float32Array,
  total = texts.length,
): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const analyses = Math.ceil(total / SEGMENTS_PER_ANALYSIS);
  const ids = (
    await pool.query<{ id: string }>(
      `INSERT INTO media_analysis_requests
         (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, tenant_id,
          created_at, updated_at, started_at, completed_at, results)
       SELECT gen_random_uuid(), 'e2e-' || g, 'What is said?', md5(g::text) || md5((g + 1)::text),
              'https://media.example.com/' || g || '.pdf', 'document', 'completed', 100, 'tenant-0',
              now() - g * interval '1 minute', now(), now(), now(), jsonb_build_object('summary', 'document ' || g)
       FROM generate_series(1, $1::int) AS g RETURNING id`,
      [analyses],
    )
  ).rows.map((r) => r.id);
  await pool.end();
  const handle = createDatabase(url, { ...loadConfig({}).database, poolMax: 2, statementTimeoutMs: 3_600_000 });
  const t = performance.now();
  try {
    for (let at = 0; at < total; at += 5000) {
      const rows: NewSegment[] = [];
      for (let i = at; i < Math.min(total, at + 5000); i++) {
        const t = i % texts.length;
        const v = vectors.subarray(t * EMBEDDING_DIMS, (t + 1) * EMBEDDING_DIMS);
        const embedding = quantizeInt8(v);
        rows.push({
          analysisId: ids[Math.floor(i / SEGMENTS_PER_ANALYSIS)]!,
          tenantId: 'tenant-0',
          kind: 'document',
          startSeconds: null,
          endSeconds: null,
          page: 1 + (i % SEGMENTS_PER_ANALYSIS),
          text: texts[t]!,
          embedding,
          code: signCode(v),
          magnitude: magnitudeCode(embedding),
          keyframe: null,
        });
      }
      await segmentRepository.insertMany(handle.db, rows);
    }
    await handle.pool.query('VACUUM ANALYZE media_segments');
  } finally {
    await handle.close();
  }
  return Math.round(performance.now() - t);
}

/** Exact top-`k` segment ids of each query over every stored vector of tenant-0, best first. */
export async function exactTop(url: string, queries: Float32Array[], k: number): Promise<number[][]> {
  return (await exactTopScored(url, queries, k)).map((b) => b.map((x) => x.id));
}

/** exactTop with each id's score (equal scores: the lower id first). */
export async function exactTopScored(
  url: string,
  queries: Float32Array[],
  k: number,
): Promise<Array<Array<{ id: number; score: number }>>> {
  const handle = createDatabase(url, { ...loadConfig({}).database, poolMax: 2, statementTimeoutMs: 3_600_000 });
  const best = queries.map(() => [] as Array<{ id: number; score: number }>);
  try {
    let after = 0;
    for (;;) {
      const page = await segmentRepository.vectorsAfter(handle.db, 'tenant-0', after, 20_000);
      for (const row of page)
        queries.forEach((q, i) => {
          const score = cosineInt8(q, row.embedding);
          const top = best[i]!;
          if (top.length < k || score > top[top.length - 1]!.score) {
            top.push({ id: row.id, score });
            top.sort((a, b) => b.score - a.score);
            if (top.length > k) top.pop();
          }
        });
      if (page.length < 20_000) break;
      after = page[page.length - 1]!.id;
    }
  } finally {
    await handle.close();
  }
  return best;
}
