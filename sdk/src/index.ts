/** The media-analysis TypeScript SDK. */
export { MediaAnalysis } from './client.ts';
export { MediaAnalysisHttp } from './http-client.ts';
export { WebhooksApi } from './webhooks-api.ts';
export { WebhookEndpointsApi } from './webhook-endpoints-api.ts';
export { AdminApi } from './admin-api.ts';
export { multipartStream } from './multipart.ts';
export { ApiError } from './types.ts';
export type {
  Accepted,
  AnalysisOptions,
  AnalysisResults,
  AnalysisStatus,
  AnswerQuote,
  AnswerSection,
  AudioSection,
  Chapter,
  ContactSheetSection,
  CueSection,
  DocumentSection,
  Entities,
  FacesSection,
  FailedStage,
  FrameOcrLine,
  FrameOcrSection,
  FramesSection,
  ImageSection,
  IntakeSection,
  ModerationSection,
  ObjectsSection,
  ProbeSection,
  ShotSection,
  StageTiming,
  TranscriptSection,
  TranscriptSegment,
  TranscriptWord,
  UnderstandingSection,
  AnalyzeInput,
  AnalyzeJson,
  ApiKey,
  ApiKeyWithSecret,
  Artifact,
  ClientOptions,
  ExportFormats,
  HistoryItem,
  HistoryPage,
  HistoryQuery,
  NewApiKey,
  Problem,
  SearchQuery,
  SearchResult,
  WaitOptions,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from './types.ts';
export { streamEvents, StreamHttpError, type StreamEvent } from './sse.ts';
export { verifyWebhook, type WebhookPayload } from './webhooks.ts';
export type { paths, components } from './schema.ts';
