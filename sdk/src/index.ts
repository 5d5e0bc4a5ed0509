/** The media-analysis TypeScript SDK. */
export { MediaAnalysis } from './client.ts';
export { WebhooksApi } from './webhooks-api.ts';
export { multipartStream } from './multipart.ts';
export { ApiError } from './types.ts';
export type {
  Accepted,
  AnalysisStatus,
  AnalyzeInput,
  ClientOptions,
  HistoryItem,
  HistoryPage,
  Problem,
  WaitOptions,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from './types.ts';
export { streamEvents, StreamHttpError, type StreamEvent } from './sse.ts';
export { verifyWebhook, type WebhookPayload } from './webhooks.ts';
export type { paths, components } from './schema.ts';
