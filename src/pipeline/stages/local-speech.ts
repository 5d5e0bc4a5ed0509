/**
 * The transcription stage's engine when no transcription provider is configured:
 * PocketSphinx on what the voice-activity detector calls speech, bounded by
 * LOCAL_SPEECH_MAX_SECONDS. An engine crash or timeout does not fail the analysis: the
 * section records the failure (code SPEECH_ENGINE_FAILED), the transcription stage fails
 * with that code, and the analysis completes as partial with what the other stages found.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConfidenceSummary, RecognizedWord } from '../../media/local-speech.ts';
import { ProcessError } from '../../platform/process-runner.ts';
import { wavData } from '../../media/voice-activity.ts';
import { SPEECH_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { artifactPath } from '../artifacts.ts';
import type { StageContext } from '../stage.ts';
import { stageCores } from '../cpu-budget.ts';

/**
 * What the section says about itself: only what was computed on this media (the word
 * posteriors). The engine's error rate on labelled speech is an evaluation figure
 * (bench/results/quality.md), not a property of this transcript, so it is not here.
 */
export interface LocalTranscript extends ConfidenceSummary {
  provider: 'local';
  engine: 'pocketsphinx';
  model: 'en-us';
  language: 'en';
  text: string;
  words: RecognizedWord[];
  segments: Array<{ start: number; end: number; text: string }>;
  seconds_transcribed: number;
  truncated: boolean;
  note: string;
  error?: { code: 'SPEECH_ENGINE_FAILED'; message: string };
}

export async function transcribeLocally(
  ctx: StageContext,
  wavRelative: string,
  duration: number,
  speech: Array<{ start: number; end: number }>,
): Promise<LocalTranscript> {
  const { markLowConfidence, transcribeTrack } = ctx.deps.tools.localSpeech;
  const cfg = ctx.deps.config.media.localSpeech;
  const threshold = SPEECH_CALIBRATION.lowWordConfidence.value;
  const base: LocalTranscript = {
    provider: 'local',
    engine: 'pocketsphinx',
    model: 'en-us',
    language: 'en',
    text: '',
    words: [],
    segments: [],
    seconds_transcribed: Math.min(duration, cfg.maxSeconds),
    truncated: duration > cfg.maxSeconds,
    ...markLowConfidence([], threshold).summary,
    note: 'Local draft transcript (PocketSphinx, English): many words can be wrong. Words whose posterior is below low_confidence_below are marked low_confidence in words; stretches made mostly of them are left out of search and of quoted passages. Set TRANSCRIPTION_PROVIDER for a better transcript.',
  };
  if (speech.length === 0 || cfg.maxSeconds <= 0) return base;
  const { pcm } = wavData(await fs.readFile(ctx.deps.storage.resolve(wavRelative)));
  const work = await artifactPath(ctx, 'temp', 'speech/.keep');
  try {
    const { chunks, words: recognised } = await transcribeTrack(
      pcm,
      speech,
      duration,
      cfg.maxSeconds,
      path.dirname(work.absolutePath),
      { binary: cfg.binary, modelDir: cfg.modelDir, timeoutMs: cfg.timeoutMs, parallel: stageCores(ctx) },
      ctx.signal,
    );
    const { words, summary } = markLowConfidence(recognised, threshold);
    // The text and segments are the transcript as heard, whole: cutting unsure words out of
    // a sentence can invert it. Unsure words are marked in `words`, and the windows made
    // mostly of them are kept out of search and of the answer's quotes (understanding stage).
    const segments = chunks
      .map((c) => ({
        start: c.start,
        end: c.end,
        text: words
          .filter((w) => w.start >= c.start && w.start < c.end)
          .map((w) => w.word)
          .join(' '),
      }))
      .filter((s) => s.text);
    return { ...base, ...summary, words, segments, text: words.map((w) => w.word).join(' ') };
  } catch (err) {
    if (ctx.signal.aborted || !(err instanceof ProcessError)) throw err;
    ctx.log.warn({ err: err.message }, 'local speech engine failed; the analysis goes on without a transcript');
    return { ...base, error: { code: 'SPEECH_ENGINE_FAILED', message: err.message.slice(0, 500) } };
  } finally {
    await fs.rm(path.dirname(work.absolutePath), { recursive: true, force: true });
  }
}
