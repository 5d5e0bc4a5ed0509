/**
 * The configured providers, each behind its own circuit breaker. `chat(name)` picks a
 * request's provider (`config.provider`) or the default (first in CHAT_PROVIDERS).
 */
import type { AppConfig } from '../config/config.ts';
import { BreakerRegistry, type BreakerState } from '../resilience/circuit-breaker.ts';
import { AppError } from '../domain/errors.ts';
import { OpenAiChatProvider } from './openai-chat.provider.ts';
import { ProviderError } from './provider-http.ts';
import { DeepgramProvider, OpenAiTranscriptionProvider } from './transcription.providers.ts';
import type { ChatProvider, TranscriptionProvider } from './provider.types.ts';

export class ProviderRegistry {
  readonly breakers: BreakerRegistry;
  private readonly chats: Map<string, ChatProvider>;
  private readonly transcriber: TranscriptionProvider | null;
  readonly config: AppConfig['providers'];

  constructor(
    config: AppConfig['providers'],
    opts: {
      onBreakerChange?: (name: string, from: BreakerState, to: BreakerState) => void;
      backoff?: { baseMs: number; capMs: number };
    } = {},
  ) {
    this.config = config;
    this.breakers = new BreakerRegistry({
      ...config.breaker,
      // Only failures that say the provider is in trouble count; a refused request does not.
      isFailure: (err) => err instanceof ProviderError && err.retryable,
      ...(opts.onBreakerChange ? { onStateChange: opts.onBreakerChange } : {}),
    });
    const call = {
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
    };
    this.chats = new Map(
      config.chat.map((p) => [
        p.name,
        new OpenAiChatProvider({
          name: p.name,
          baseUrl: p.baseUrl,
          apiKey: p.apiKey,
          defaultModel: config.chatModel,
          call,
        }),
      ]),
    );
    const t = config.transcription;
    this.transcriber = !t
      ? null
      : t.kind === 'deepgram'
        ? new DeepgramProvider({ baseUrl: t.baseUrl, apiKey: t.apiKey ?? '', model: t.model, call })
        : new OpenAiTranscriptionProvider({ name: t.name, baseUrl: t.baseUrl, apiKey: t.apiKey, model: t.model, call });
  }

  hasChat(): boolean {
    return this.chats.size > 0;
  }

  /** The chat provider for a request; null when none is configured at all. */
  chat(name?: string): ChatProvider | null {
    if (name) {
      const p = this.chats.get(name);
      if (!p)
        throw new AppError(
          'PROVIDER_NOT_CONFIGURED',
          `Provider "${name}" is not configured (configured: ${[...this.chats.keys()].join(', ') || 'none'})`,
        );
      return p;
    }
    return this.chats.values().next().value ?? null;
  }

  transcription(): TranscriptionProvider | null {
    return this.transcriber;
  }
}
