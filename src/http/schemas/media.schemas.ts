/** TypeBox schemas of the media API; they validate requests and generate the OpenAPI document. */
import { Type, type Static } from 'typebox';
import { ANALYSIS_STATUSES, MEDIA_TYPES } from '../../contract/analysis.types.ts';
import { SORT_COLUMNS } from '../../contract/analysis.types.ts';
import { StageFieldsSchema } from './stage-status.schemas.ts';
import { AnalysisOptionsSchema } from '../../contract/options.schema.ts';
import { AnalysisResultsSchema } from '../../contract/results.schema.ts';

export const MediaTypeSchema = Type.Enum([...MEDIA_TYPES]);
export const StatusSchema = Type.Enum([...ANALYSIS_STATUSES]);

export const ConfigSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    provider: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    response_format: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export const AnalyzeBodySchema = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 20_000 }),
    media_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' })),
    media_type: Type.Optional(MediaTypeSchema),
    config: Type.Optional(ConfigSchema),
    options: Type.Optional(AnalysisOptionsSchema),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true, maxProperties: 50 })),
    webhook_url: Type.Optional(
      Type.String({
        minLength: 1,
        // Longer than the 2 KB limit on purpose: past it the answer is WEBHOOK_URL_INVALID, not a schema error.
        maxLength: 8192,
        description:
          "Called back when the analysis ends (completed, failed, cancelled, deleted), signed with the tenant's secret (POST /api/webhooks/tenant-secret). Same address rules as webhook endpoints.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type AnalyzeBody = Static<typeof AnalyzeBodySchema>;

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true },
);

export const AcceptedSchema = Type.Object({
  analysis_id: Type.String({ format: 'uuid' }),
  status: Type.Literal('pending'),
  estimated_seconds: Type.Integer({
    description:
      "Processing estimate in seconds: this installation's recent runs of the same media type (median time per MB of source times this upload's size; their median time for a URL), a fixed default per type before 5 runs",
  }),
  estimated_time: Type.Integer({ description: 'Deprecated: the same value as estimated_seconds' }),
  message: Type.String(),
  correlation_id: Type.String(),
  status_url: Type.String(),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Nullable(Type.String({ format: 'date-time' }));

/** Present only on an analysis read from the archive. */
const ArchiveFieldsSchema = {
  archived: Type.Optional(
    Type.Boolean({ description: 'true: the analysis was moved to the archive (ARCHIVE_AFTER_DAYS); absent otherwise' }),
  ),
  archived_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'When it was archived; absent when not archived' }),
  ),
};

export const StatusResponseSchema = Type.Object({
  analysis_id: Type.String({ format: 'uuid' }),
  status: StatusSchema,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  media_type: MediaTypeSchema,
  source_url: Nullable(Type.String()),
  original_filename: Nullable(Type.String()),
  prompt: Type.String(),
  correlation_id: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  started_at: Timestamp,
  completed_at: Timestamp,
  result_summary: Nullable(Type.String()),
  results: Nullable(AnalysisResultsSchema),
  model_used: Nullable(Type.String()),
  latency_ms: Nullable(Type.Integer()),
  error_message: Nullable(Type.String()),
  error_code: Nullable(Type.String()),
  retry_count: Type.Integer(),
  metadata: Type.Object({}, { additionalProperties: true }),
  ...StageFieldsSchema,
  ...ArchiveFieldsSchema,
});

export const HistoryItemSchema = Type.Object({
  analysis_id: Type.String({ format: 'uuid' }),
  status: StatusSchema,
  progress: Type.Integer(),
  media_type: MediaTypeSchema,
  prompt: Type.String(),
  source_url: Nullable(Type.String()),
  original_filename: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  completed_at: Timestamp,
  error_code: Nullable(Type.String()),
  partial: Type.Boolean({ description: 'Completed, but an optional stage failed (status lists which)' }),
  retry_count: Type.Integer(),
  ...ArchiveFieldsSchema,
});

export const HistoryQuerySchema = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
    per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    status: Type.Optional(StatusSchema),
    media_type: Type.Optional(MediaTypeSchema),
    date_from: Type.Optional(Type.String({ format: 'date-time' })),
    date_to: Type.Optional(Type.String({ format: 'date-time' })),
    sort_by: Type.Optional(Type.Enum([...SORT_COLUMNS], { default: 'created_at' })),
    order: Type.Optional(Type.Enum(['asc', 'desc'], { default: 'desc' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    include_archived: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Also list archived analyses (marked `archived: true`), merged in the same order; paging and cursors span both',
      }),
    ),
  },
  { additionalProperties: false },
);

export const HistoryResponseSchema = Type.Object({
  data: Type.Array(HistoryItemSchema),
  pagination: Type.Object({
    page: Type.Integer(),
    per_page: Type.Integer(),
    total: Type.Integer(),
    total_pages: Type.Integer(),
    next_cursor: Nullable(Type.String()),
  }),
});

export const IdParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ArtifactParamsSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  artifactId: Type.String({ format: 'uuid' }),
});

export const ArtifactListSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      area: Type.String(),
      name: Type.String(),
      mime_type: Nullable(Type.String()),
      size_bytes: Type.Integer(),
      sha256: Nullable(Type.String()),
      created_at: Type.String({ format: 'date-time' }),
      expires_at: Timestamp,
      url: Type.String(),
    }),
  ),
});
