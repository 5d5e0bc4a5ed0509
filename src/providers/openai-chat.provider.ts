/**
 * OpenAI-compatible chat completions (OpenAI, OpenRouter, MiniMax, Novita, vLLM,
 * Ollama, llama.cpp server): text and images (data URLs) in one user message.
 */
import { postForJson, type CallOptions } from './provider-http.ts';
import type { ChatProvider, ChatRequest, ChatResult } from './provider.types.ts';

interface CompletionResponse {
  model?: string;
  choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** Rough token count for text when a server does not report usage (~4 characters a token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Roughly what one image costs in input tokens when usage is not reported. */
export const IMAGE_TOKEN_ESTIMATE = 765;

export class OpenAiChatProvider implements ChatProvider {
  readonly name: string;
  readonly defaultModel: string | undefined;
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly call: Omit<CallOptions, 'signal'>;

  constructor(opts: {
    name: string;
    baseUrl: string;
    apiKey: string | undefined;
    defaultModel: string | undefined;
    call: Omit<CallOptions, 'signal'>;
  }) {
    this.name = opts.name;
    this.baseUrl = opts.baseUrl;
    this.apiKey = opts.apiKey;
    this.defaultModel = opts.defaultModel;
    this.call = opts.call;
  }

  /** The JSON body sent to /chat/completions (pure; tested). */
  static body(req: ChatRequest): Record<string, unknown> {
    const content: Array<Record<string, unknown>> = [{ type: 'text', text: req.prompt }];
    for (const img of req.images) content.push({ type: 'image_url', image_url: { url: img.url } });
    return {
      model: req.model,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content },
      ],
      ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
    };
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const { data } = await postForJson<CompletionResponse>(
      `${this.baseUrl}/chat/completions`,
      { json: OpenAiChatProvider.body(req) },
      headers,
      { ...this.call, signal: req.signal },
    );
    const choice = data.choices?.[0];
    const text = choice?.message?.content ?? '';
    const reported = typeof data.usage?.prompt_tokens === 'number';
    return {
      text,
      finishReason: choice?.finish_reason ?? null,
      model: data.model ?? req.model,
      latencyMs: Math.round(performance.now() - started),
      usage: reported
        ? {
            inputTokens: data.usage!.prompt_tokens ?? 0,
            outputTokens: data.usage!.completion_tokens ?? 0,
            reported: true,
          }
        : {
            inputTokens: estimateTokens(req.system + req.prompt) + req.images.length * IMAGE_TOKEN_ESTIMATE,
            outputTokens: estimateTokens(text),
            reported: false,
          },
    };
  }
}
