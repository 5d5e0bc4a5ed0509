/**
 * Provider interfaces, one per capability. A provider is an outside model service;
 * everything the rest of the code knows about it is here.
 */
export interface ChatImage {
  /** A data: URL (base64 JPEG/PNG). */
  url: string;
  label: string;
}

export interface ChatRequest {
  model: string;
  system: string;
  prompt: string;
  images: ChatImage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** OpenAI `response_format` (e.g. a json_schema), passed through. */
  responseFormat?: Record<string, unknown> | undefined;
  signal?: AbortSignal | undefined;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** true when the provider reported usage; false when we estimated it. */
  reported: boolean;
}

export interface ChatResult {
  text: string;
  finishReason: string | null;
  usage: Usage;
  model: string;
  latencyMs: number;
}

export interface ChatProvider {
  readonly name: string;
  readonly defaultModel: string | undefined;
  complete(req: ChatRequest): Promise<ChatResult>;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface TranscriptResult {
  text: string;
  segments: TranscriptSegment[];
  language: string | null;
  model: string;
  latencyMs: number;
}

export interface TranscriptionProvider {
  readonly name: string;
  readonly model: string;
  transcribe(audio: Buffer, opts: { mime: string; signal?: AbortSignal | undefined }): Promise<TranscriptResult>;
}
