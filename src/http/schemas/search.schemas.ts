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
  text: Type.String(),
  start_seconds: Nullable(Type.Number()),
  end_seconds: Nullable(Type.Number()),
  page: Nullable(Type.Integer()),
  score: Type.Number({ description: 'reciprocal rank fusion score' }),
  matched_by: Type.Array(Type.String(), { description: '"text" (full-text), "meaning" (embedding) or both' }),
  similarity: Nullable(Type.Number({ description: 'cosine similarity of the embeddings, when matched by meaning' })),
  keyframe_url: Nullable(Type.String()),
});

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  terms: Type.Array(Type.String()),
  data: Type.Array(
    Type.Object({
      analysis_id: Type.String(),
      media_type: Type.String(),
      original_filename: Nullable(Type.String()),
      status: Type.String(),
      created_at: Type.String({ format: 'date-time' }),
      result_summary: Nullable(Type.String()),
      status_url: Type.String(),
      score: Type.Number(),
      segments: Type.Array(SearchSegmentSchema),
    }),
  ),
  stats: Type.Object({
    text_matches: Type.Integer(),
    semantic_candidates: Type.Integer(),
    semantic_matches: Type.Integer(),
    indexed_segments: Type.Integer(),
    took_ms: Type.Integer(),
  }),
});
