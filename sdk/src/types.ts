/**
 * The SDK's public types: response bodies picked from the generated OpenAPI `paths`, the
 * client's options, and `ApiError` (a problem+json answer as an exception).
 */
import type { paths, components } from './schema.ts';

type JsonOf<P extends keyof paths, M extends 'get' | 'post' | 'patch', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type Accepted = JsonOf<'/api/media/analyze', 'post', 202>;
export type AnalysisStatus = JsonOf<'/api/media/{id}', 'get', 200>;
export type HistoryPage = JsonOf<'/api/media/history', 'get', 200>;
export type HistoryItem = HistoryPage['data'][number];
export type WebhookEndpoint = JsonOf<'/api/webhooks/{id}', 'get', 200>;
export type WebhookEndpointWithSecret = JsonOf<'/api/webhooks', 'post', 201>;
export type WebhookDelivery = JsonOf<'/api/webhook-deliveries/{deliveryId}', 'get', 200>;
export type Artifact = JsonOf<'/api/media/{id}/artifacts', 'get', 200>['data'][number];
export type SearchResult = JsonOf<'/api/media/search', 'get', 200>;
export type SearchQuery = paths['/api/media/search']['get']['parameters']['query'];
export type HistoryQuery = NonNullable<paths['/api/media/history']['get']['parameters']['query']>;
export type ApiKey = JsonOf<'/api/admin/keys', 'get', 200>['data'][number];
/** A new key as created: `key` is the secret, shown only in this answer. */
export type ApiKeyWithSecret = JsonOf<'/api/admin/keys', 'post', 201>;
export type NewApiKey = paths['/api/admin/keys']['post']['requestBody']['content']['application/json'];
/** The files an analysis can be exported as (`GET /api/media/{id}/<kind>.<format>`). */
export type ExportFormats = {
  transcript: paths['/api/media/{id}/transcript.{format}']['get']['parameters']['path']['format'];
  shots: paths['/api/media/{id}/shots.{format}']['get']['parameters']['path']['format'];
  chapters: paths['/api/media/{id}/chapters.{format}']['get']['parameters']['path']['format'];
  result: 'json';
};
export type AnalyzeJson = NonNullable<
  paths['/api/media/analyze']['post']['requestBody']
>['content']['application/json'];
export type Problem = components['schemas'] extends { Problem: infer P } ? P : Record<string, unknown>;

type Schemas = components['schemas'];
/** What an analysis may ask for (`options` of analyze); unknown keys are refused. */
export type AnalysisOptions = Schemas['AnalysisOptions'];
/** The `results` of a completed analysis: every section its stages produced. */
export type AnalysisResults = Schemas['AnalysisResults'];
export type IntakeSection = Schemas['IntakeSection'];
/** By `kind`: audio/video, image or document. */
export type ProbeSection = Schemas['ProbeSection'];
export type FramesSection = Schemas['FramesSection'];
export type ContactSheetSection = Schemas['ContactSheetSection'];
export type AudioSection = Schemas['AudioSection'];
export type TranscriptSection = Schemas['TranscriptSection'];
export type TranscriptSegment = Schemas['TranscriptSegment'];
export type TranscriptWord = Schemas['TranscriptWord'];
export type ImageSection = Schemas['ImageSection'];
export type DocumentSection = Schemas['DocumentSection'];
/** On-screen text of a video. */
export type FrameOcrSection = Schemas['FrameOcrSection'];
export type FrameOcrLine = Schemas['FrameOcrLine'];
export type ShotSection = Schemas['ShotSection'];
export type CueSection = Schemas['CueSection'];
export type ObjectsSection = Schemas['ObjectsSection'];
export type FacesSection = Schemas['FacesSection'];
export type ModerationSection = Schemas['ModerationSection'];
/** Language, entities, keywords and chapters. */
export type UnderstandingSection = Schemas['UnderstandingSection'];
export type Chapter = Schemas['Chapter'];
export type Entities = Schemas['Entities'];
export type AnswerSection = Schemas['AnswerSection'];
/** A passage an extracted answer quotes, with its time or page. */
export type AnswerQuote = Schemas['AnswerQuote'];
export type StageTiming = Schemas['StageTiming'];
export type FailedStage = Schemas['FailedStage'];

/** A problem+json answer (RFC 9457) as an exception: `code` is the service's stable error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Record<string, unknown>;
  constructor(status: number, problem: Record<string, unknown>) {
    const code = typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
    super(`${code}: ${String(problem.detail ?? problem.title ?? 'request failed')}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
  /** Sent as User-Agent in Node. */
  userAgent?: string;
}

export interface AnalyzeInput {
  /** A path on disk (Node; streamed, not read into memory) or a Blob/File. */
  file?: string | Blob;
  /** Or a media URL the service downloads. */
  url?: string;
  prompt: string;
  options?: AnalysisOptions;
  config?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  mediaType?: AnalyzeJson['media_type'];
  /** Called back when this analysis ends, signed with the tenant's secret (`webhooks.rotateTenantSecret`). */
  webhookUrl?: string;
  idempotencyKey?: string;
  /** Bytes sent so far / total (file uploads). */
  onUploadProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export interface WaitOptions {
  onProgress?: (e: { status: string; progress: number; event: string; data: Record<string, unknown> }) => void;
  signal?: AbortSignal;
  /** Poll interval when the event stream is not available (default 2 s). */
  pollIntervalMs?: number;
}

export type Unwrapped<T> = { data?: T; error?: unknown; response: Response };
