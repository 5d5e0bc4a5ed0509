/**
 * Kysely table types. Row types stay in persistence; the rest of the code sees the
 * domain types from `src/domain`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AnalysisOptions } from '../contract/options.schema.ts';
import type { AnalysisResults } from '../contract/results.schema.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, string | undefined, string>;
type NullableJson<T = unknown> = ColumnType<T | null, string | null | undefined, string | null>;

export interface AnalysisTable {
  id: string;
  correlation_id: string;
  prompt: string;
  prompt_hash: string;
  source_url: string | null;
  original_filename: string | null;
  media_type: string;
  status: string;
  progress: Generated<number>;
  analysis_config: Json<Record<string, unknown>>;
  analysis_options: Json<AnalysisOptions>;
  results: NullableJson<AnalysisResults>;
  model_used: string | null;
  latency_ms: number | null;
  error_message: string | null;
  error_code: string | null;
  retry_count: Generated<number>;
  metadata: Json<Record<string, unknown>>;
  tenant_id: string;
  job_id: number | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
  /** A request's own callback URL (migration 0008). */
  webhook_url: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ResultTable {
  id: Generated<string>;
  analysis_id: string;
  provider: string;
  model: string;
  prompt_used: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  latency_ms: number;
  confidence: number | null;
  finish_reason: string | null;
  answer: string | null;
  metadata: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface MediaFileTable {
  id: Generated<string>;
  analysis_id: string;
  area: string;
  storage_path: string;
  relative_path: string;
  size_bytes: number;
  mime_type: string | null;
  sha256: string | null;
  retention_days: number | null;
  expires_at: NullableTimestamp;
  created_at: Generated<Date>;
  deleted_at: NullableTimestamp;
}

export interface ContactSheetTable {
  id: Generated<string>;
  analysis_id: string;
  media_file_id: string | null;
  path: string;
  frames_count: number;
  grid: string;
  resolution: string;
  size_bytes: number;
  checksum: string;
  created_at: Generated<Date>;
}

export interface AuditLogTable {
  id: Generated<string>;
  table_name: string;
  record_id: string;
  action: string;
  old_values: NullableJson<Record<string, unknown>>;
  new_values: NullableJson<Record<string, unknown>>;
  performed_by: string;
  ip_address: string | null;
  correlation_id: string | null;
  created_at: Generated<Date>;
}

export interface ApiKeyTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  is_admin: Generated<boolean>;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface IdempotencyKeyTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  state: string;
  response_status: number | null;
  response_body: NullableJson<Record<string, unknown>>;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

export interface WorkerHeartbeatTable {
  instance_id: string;
  hostname: string;
  pid: number;
  worker_ids: string[];
  started_at: Generated<Date>;
  last_beat_at: Generated<Date>;
}

export interface AnalysisCountTable {
  tenant_id: string;
  status: string;
  media_type: string;
  slot: number;
  n: number;
}

export interface SegmentTable {
  id: Generated<number>;
  analysis_id: string;
  tenant_id: string;
  kind: string;
  start_seconds: number | null;
  end_seconds: number | null;
  page: number | null;
  text: string;
  tsv: Generated<string>;
  embedding: Buffer;
  code: Buffer;
  /** Null for rows written before migration 0012. */
  magnitude: Buffer | null;
  keyframe: string | null;
  /** The words search may match when fewer than `text`'s (migration 0014: a transcript window without its unsure words); else null. */
  sure_tsv: ColumnType<string | null, string | null | undefined, string | null>;
  /** A named person's appearance (kind `person`, migration 0013); null for every other kind. */
  person_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

/** A person of a tenant's library (migration 0013). */
export interface PersonTable {
  id: Generated<string>;
  tenant_id: string;
  name: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** One person on screen through consecutive frames of a shot, or once in a picture (migration 0013). */
export interface FaceAppearanceTable {
  id: Generated<string>;
  tenant_id: string;
  person_id: string;
  analysis_id: string;
  start_seconds: number | null;
  end_seconds: number | null;
  page: number | null;
  shot: number | null;
  frames: number;
  box: number[];
  quality: number;
  vector: Buffer;
  sketch: Buffer;
  thumbnail_file_id: string | null;
  created_at: Generated<Date>;
}

export interface AnalysisStageTable {
  analysis_id: string;
  stage: string;
  tenant_id: string;
  position: number;
  status: string;
  reason: string | null;
  error_code: string | null;
  error_message: string | null;
  attempt: number;
  units: number | null;
  unit: string | null;
  started_at: NullableTimestamp;
  stalled_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  duration_ms: number | null;
  updated_at: Generated<Date>;
}

export interface AnalysisEventTable {
  id: Generated<number>;
  tenant_id: string;
  analysis_id: string;
  type: string;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface WebhookEndpointTable {
  id: Generated<string>;
  tenant_id: string;
  url: string;
  description: Generated<string>;
  events: string[];
  enabled: Generated<boolean>;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamp;
  failing_since: NullableTimestamp;
  disabled_at: NullableTimestamp;
  disabled_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TenantWebhookSecretTable {
  tenant_id: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface WebhookDeliveryTable {
  id: Generated<string>;
  tenant_id: string;
  endpoint_id: string | null;
  url: string;
  event_id: number | null;
  analysis_id: string | null;
  event_type: string;
  state: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: NullableTimestamp;
  last_status: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  delivered_at: NullableTimestamp;
}

export interface WebhookAttemptTable {
  id: Generated<number>;
  delivery_id: string;
  attempt: number;
  started_at: Timestamp;
  latency_ms: number;
  status_code: number | null;
  response_body: string | null;
  error: string | null;
}

export interface Database {
  media_segments: SegmentTable;
  people: PersonTable;
  face_appearances: FaceAppearanceTable;
  analysis_stages: AnalysisStageTable;
  analysis_events: AnalysisEventTable;
  webhook_endpoints: WebhookEndpointTable;
  tenant_webhook_secrets: TenantWebhookSecretTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  analysis_counts: AnalysisCountTable;
  media_analysis_requests: AnalysisTable;
  media_analysis_results: ResultTable;
  media_files: MediaFileTable;
  contact_sheets: ContactSheetTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeyTable;
  idempotency_keys: IdempotencyKeyTable;
  worker_heartbeats: WorkerHeartbeatTable;
}

export type AnalysisRow = Selectable<AnalysisTable>;
export type NewAnalysisRow = Insertable<AnalysisTable>;
export type AnalysisUpdate = Updateable<AnalysisTable>;
export type MediaFileRow = Selectable<MediaFileTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
