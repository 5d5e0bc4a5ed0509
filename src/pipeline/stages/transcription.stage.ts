/**
 * Transcription of the prepared 16 kHz track through the configured provider. Long
 * audio is cut into chunks of at most CHUNK_SECONDS at silences, so no word is split;
 * segment times are shifted back onto the whole track.
 */
import fs from 'node:fs/promises';
import { transcriptionCostUsd } from '../../providers/cost.ts';
import { artifactPath } from '../artifacts.ts';
import type { TranscriptSegment } from '../../providers/provider.types.ts';
import type { Segment } from '../../media/ffmpeg.ts';
import { AppError } from '../../domain/errors.ts';
import { allOf, unless, type Stage } from '../stage.ts';
import { transcribeLocally } from './local-speech.ts';
import { stageCores } from '../cpu-budget.ts';

/** Longest chunk sent in one request (providers cap uploads around 25 MB ≈ 13 min of 16 kHz PCM). */
export const CHUNK_SECONDS = 600;

/** Chunk boundaries: every cut is at the middle of the silence nearest before the limit. */
export function planChunks(duration: number, silences: Segment[], maxSeconds = CHUNK_SECONDS): Segment[] {
  const chunks: Segment[] = [];
  let start = 0;
  while (duration - start > maxSeconds) {
    const limit = start + maxSeconds;
    const cuts = silences.map((s) => (s.start + s.end) / 2).filter((m) => m > start + maxSeconds / 2 && m <= limit);
    const cut = cuts.length ? cuts[cuts.length - 1]! : limit;
    chunks.push({ start: round3(start), end: round3(cut) });
    start = cut;
  }
  chunks.push({ start: round3(start), end: round3(duration) });
  return chunks;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export const transcriptionStage: Stage = {
  name: 'transcription',
  needs: ['audio'],
  produces: ['transcript'],
  optional: true,
  // With a provider the work happens there (cutting chunks is a stream copy); without
  // one the local engines decode here, one engine per core of the stage (stageCores).
  cost: (ctx) => (ctx.deps.providers.transcription() ? 0 : stageCores(ctx)),
  appliesTo: (ctx) => allOf(unless(ctx.analysis.options.transcribe_audio !== false, 'transcribe_audio is off')),
  async run(ctx) {
    const { runFfmpeg } = ctx.deps.tools.ffmpeg;
    const { callProvider } = ctx.deps.tools.providers;
    const provider = ctx.deps.providers.transcription();
    // No provider configured: the local engine (a provider, when set, replaces it).
    if (!provider) {
      const a = ctx.results.audio!;
      const local = await transcribeLocally(
        ctx,
        a.prepared_for_transcription.path,
        a.duration_seconds,
        a.speech_segments,
      );
      ctx.results.transcript = { ...local, chunks: local.segments.length, cost_usd: 0, latency_ms: 0 };
      // The section keeps what the engine said; failing the (optional) stage makes the
      // analysis complete as partial, with the stage and its code in status and history.
      if (local.error) throw new AppError(local.error.code, local.error.message);
      return;
    }
    const { config, db, storage } = ctx.deps;
    const audio = ctx.results.audio!;
    const wav = storage.resolve(audio.prepared_for_transcription.path);
    const chunks = planChunks(audio.duration_seconds, audio.silences);
    const breaker = ctx.deps.providers.breakers.get(`transcription:${provider.name}`);
    const segments: TranscriptSegment[] = [];
    const texts: string[] = [];
    let language: string | null = null;
    let latency = 0;
    for (const [i, chunk] of chunks.entries()) {
      let data: Buffer;
      if (chunks.length === 1) {
        data = await fs.readFile(wav);
      } else {
        const part = await artifactPath(ctx, 'temp', `audio-chunk-${i + 1}.wav`);
        await runFfmpeg(
          config.media.ffmpegPath,
          [
            '-hide_banner',
            '-nostdin',
            '-loglevel',
            'error',
            '-ss',
            String(chunk.start),
            '-t',
            String(chunk.end - chunk.start),
            '-i',
            wav,
            '-c',
            'copy',
            '-y',
            part.absolutePath,
          ],
          { timeoutMs: config.media.ffmpegTimeoutMs, signal: ctx.signal },
        );
        data = await fs.readFile(part.absolutePath);
        await fs.rm(part.absolutePath, { force: true });
      }
      const r = await callProvider(
        breaker,
        () => provider.transcribe(data, { mime: 'audio/wav', signal: ctx.signal }),
        ctx.signal,
      );
      latency += r.latencyMs;
      language ??= r.language;
      texts.push(r.text);
      for (const s of r.segments)
        segments.push({ start: round3(s.start + chunk.start), end: round3(s.end + chunk.start), text: s.text });
    }
    const text = texts.filter(Boolean).join(' ');
    const cost = transcriptionCostUsd(config.providers.prices, provider.model, audio.duration_seconds);
    await ctx.deps.repositories.results.insert(db, {
      analysisId: ctx.analysis.id,
      provider: provider.name,
      model: provider.model,
      promptUsed: '(transcription)',
      inputTokens: 0,
      outputTokens: 0,
      costUsd: cost,
      latencyMs: latency,
      confidence: null,
      finishReason: null,
      answer: text,
      metadata: {
        kind: 'transcription',
        chunks: chunks.length,
        segments: segments.length,
        language,
        audio_seconds: audio.duration_seconds,
      },
    });
    ctx.results.transcript = {
      provider: provider.name,
      model: provider.model,
      language,
      text,
      segments,
      chunks: chunks.length,
      cost_usd: cost,
      latency_ms: latency,
    };
  },
};
