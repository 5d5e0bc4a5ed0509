/**
 * Transcription: Deepgram's pre-recorded API and the OpenAI-compatible
 * /audio/transcriptions endpoint (OpenAI, Groq, whisper.cpp server, faster-whisper
 * servers, LocalAI). Both return segments with timestamps.
 */
import { postForJson, type CallOptions } from './provider-http.ts';
import type { TranscriptionProvider, TranscriptResult, TranscriptSegment } from './provider.types.ts';

interface DeepgramResponse {
  results?: {
    channels?: Array<{
      detected_language?: string;
      alternatives?: Array<{
        transcript?: string;
        words?: Array<{ start: number; end: number; punctuated_word?: string; word?: string }>;
      }>;
    }>;
    utterances?: Array<{ start: number; end: number; transcript: string }>;
  };
}

export class DeepgramProvider implements TranscriptionProvider {
  readonly name = 'deepgram';
  readonly model: string;
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly call: Omit<CallOptions, 'signal'>;
  constructor(opts: { baseUrl: string; apiKey: string; model: string; call: Omit<CallOptions, 'signal'> }) {
    this.baseUrl = opts.baseUrl;
    this.apiKey = opts.apiKey;
    this.model = opts.model;
    this.call = opts.call;
  }

  async transcribe(audio: Buffer, opts: { mime: string; signal?: AbortSignal | undefined }): Promise<TranscriptResult> {
    const started = performance.now();
    const url = `${this.baseUrl}/v1/listen?model=${encodeURIComponent(this.model)}&smart_format=true&utterances=true&detect_language=true`;
    const { data } = await postForJson<DeepgramResponse>(
      url,
      { raw: audio, contentType: opts.mime },
      { authorization: `Token ${this.apiKey}`, accept: 'application/json' },
      { ...this.call, signal: opts.signal },
    );
    const channel = data.results?.channels?.[0];
    const alt = channel?.alternatives?.[0];
    const segments: TranscriptSegment[] = (data.results?.utterances ?? []).map((u) => ({
      start: u.start,
      end: u.end,
      text: u.transcript.trim(),
    }));
    if (segments.length === 0 && alt?.words?.length) {
      segments.push({
        start: alt.words[0]!.start,
        end: alt.words[alt.words.length - 1]!.end,
        text: (alt.transcript ?? '').trim(),
      });
    }
    return {
      text: (alt?.transcript ?? '').trim(),
      segments,
      language: channel?.detected_language ?? null,
      model: this.model,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}

interface OpenAiTranscription {
  text?: string;
  language?: string;
  segments?: Array<{ start: number; end: number; text: string }>;
}

export class OpenAiTranscriptionProvider implements TranscriptionProvider {
  readonly name: string;
  readonly model: string;
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly call: Omit<CallOptions, 'signal'>;
  constructor(opts: {
    name: string;
    baseUrl: string;
    apiKey: string | undefined;
    model: string;
    call: Omit<CallOptions, 'signal'>;
  }) {
    this.name = opts.name;
    this.baseUrl = opts.baseUrl;
    this.apiKey = opts.apiKey;
    this.model = opts.model;
    this.call = opts.call;
  }

  async transcribe(audio: Buffer, opts: { mime: string; signal?: AbortSignal | undefined }): Promise<TranscriptResult> {
    const started = performance.now();
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(audio)], { type: opts.mime }), 'audio.wav');
    form.set('model', this.model);
    form.set('response_format', 'verbose_json');
    form.set('timestamp_granularities[]', 'segment');
    // FormData is serialised by a Response so undici gets a body with a boundary.
    const encoded = new Response(form);
    const raw = Buffer.from(await encoded.arrayBuffer());
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const { data } = await postForJson<OpenAiTranscription>(
      `${this.baseUrl}/audio/transcriptions`,
      { raw, contentType: encoded.headers.get('content-type')! },
      headers,
      { ...this.call, signal: opts.signal },
    );
    return {
      text: (data.text ?? '').trim(),
      segments: (data.segments ?? []).map((s) => ({ start: s.start, end: s.end, text: s.text.trim() })),
      language: data.language ?? null,
      model: this.model,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}
