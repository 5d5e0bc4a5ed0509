/** TypeBox schemas of library search (→ OpenAPI). */
import { Type } from 'typebox';
import { MediaTypeSchema, StatusSchema } from './media.schemas.ts';
import { MAX_QUERY_CHARS } from '../../domain/search/search.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({
      // One more than allowed so the service answers a too-long query with its own clear code.
      maxLength: MAX_QUERY_CHARS * 4,
      description: `What to find, in words (at most ${MAX_QUERY_CHARS} characters): "a boat", "invoice 48213", "someone talks about revenue"`,
    }),
    media_type: Type.Optional(MediaTypeSchema),
    status: Type.Optional(StatusSchema),
    date_from: Type.Optional(Type.String({ format: 'date-time' })),
    date_to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
  },
  { additionalProperties: false },
);

export const SearchSegmentSchema = Type.Object({
  segment_id: Type.Integer(),
  kind: Type.String({ description: 'transcript, ocr, document, image_text, shot or object' }),
  text: Type.String({
    description:
      'The segment as stored; in a local transcript the words heard below the calibrated confidence are marked [like this?] (not matched by text)',
  }),
  start_seconds: Nullable(Type.Number()),
  end_seconds: Nullable(Type.Number()),
  page: Nullable(Type.Integer()),
  score: Type.Number({
    description:
      'relevance: (1 − w) × similarity + w × the share of the query’s words the segment holds (w chosen by the search evaluation); at least min_score',
  }),
  matched_by: Type.Array(Type.String(), {
    description:
      '"text" when it holds a word of the query, "meaning" when its similarity alone reaches min_score; or both',
  }),
  similarity: Type.Number({ description: 'cosine similarity of the query’s and the segment’s embeddings' }),
  keyframe_url: Nullable(Type.String()),
});

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  terms: Type.Array(Type.String()),
  min_score: Type.Number({
    description: 'the relevance floor: a segment below it is no match, so an unrelated query returns no hit',
  }),
  data: Type.Array(
    Type.Object(
      {
        analysis_id: Type.String(),
        media_type: Type.String(),
        original_filename: Nullable(Type.String()),
        status: Type.String(),
        created_at: Type.String({ format: 'date-time' }),
        result_summary: Nullable(Type.String()),
        status_url: Type.String(),
        score: Type.Number({ description: 'the relevance of its best segment' }),
        segments: Type.Array(SearchSegmentSchema, { description: 'its best segments (at most 3), best first' }),
      },
      { description: 'one analysis that matches, with its best segments' },
    ),
    { description: 'analyses best first; empty when nothing reaches min_score' },
  ),
  stats: Type.Object({
    text_matches: Type.Integer(),
    semantic_candidates: Type.Integer(),
    relevant_segments: Type.Integer({ description: 'candidate segments at or above min_score, over all analyses' }),
    indexed_segments: Type.Integer({ description: 'segments of this tenant in the semantic index' }),
    took_ms: Type.Integer(),
  }),
});
