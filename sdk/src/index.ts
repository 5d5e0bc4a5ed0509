/** The media-analysis TypeScript SDK. */
export { MediaAnalysis, WebhooksApi, ApiError, multipartStream } from './client.ts';
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
} from './client.ts';
export { streamEvents, StreamHttpError, type StreamEvent } from './sse.ts';
export { verifyWebhook, type WebhookPayload } from './webhooks.ts';
export type { paths, components } from './schema.ts';
