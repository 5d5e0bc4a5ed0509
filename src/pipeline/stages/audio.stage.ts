/**
 * Audio (an audio file, or a video's audio track): EBU R128 integrated loudness and
 * true peak, silence and speech segments, a waveform image, and the track prepared as
 * 16 kHz mono WAV for transcription (kept in `temp/`, 24 hours).
 */
import fs from 'node:fs/promises';
import { detectVoiceActivity, pcm16ToFloat, wavData } from '../../media/voice-activity.ts';
import { artifactPath, recordArtifact } from '../artifacts.ts';
import { allOf, unless, type Stage } from '../stage.ts';

export const audioStage: Stage = {
  name: 'audio',
  needs: ['probe'],
  produces: ['audio'],
  optional: true,
  appliesTo: (ctx) =>
    allOf(
      unless(ctx.source?.mediaType === 'audio' || ctx.source?.mediaType === 'video', 'not audio or video'),
      unless(ctx.media?.hasAudio === true, 'no audio track'),
      unless(ctx.analysis.options.analyze_audio !== false, 'analyze_audio is off'),
    ),
  async run(ctx) {
    const {
      audioAnalysisArgs,
      extractAudioArgs,
      parseEbur128,
      parseSilences,
      runFfmpeg,
      waveformArgs,
      ANALYSIS_LOG_BYTES,
    } = ctx.deps.tools.ffmpeg;
    const { config } = ctx.deps;
    const input = ctx.source!.absolutePath;
    const run = { timeoutMs: config.media.ffmpegTimeoutMs, signal: ctx.signal };
    const log = await runFfmpeg(config.media.ffmpegPath, audioAnalysisArgs(input), {
      ...run,
      keepLogBytes: ANALYSIS_LOG_BYTES,
    });
    const duration = ctx.media?.durationSeconds ?? 0;
    const loudness = parseEbur128(log);
    const { silences } = parseSilences(log, duration);

    const wave = await artifactPath(ctx, 'outputs', 'waveform.png');
    await runFfmpeg(config.media.ffmpegPath, waveformArgs(input, wave.absolutePath), run);
    await recordArtifact(ctx, 'outputs', wave.relativePath, 'image/png');

    const wav = await artifactPath(ctx, 'temp', 'audio-16k-mono.wav');
    await runFfmpeg(config.media.ffmpegPath, extractAudioArgs(input, wav.absolutePath), run);
    const prepared = await recordArtifact(ctx, 'temp', wav.relativePath, 'audio/wav');

    // Speech is what the voice-activity detector hears as a voice, not merely "not silent".
    const vad = detectVoiceActivity(pcm16ToFloat(wavData(await fs.readFile(wav.absolutePath)).pcm));
    const speech = vad.speech;
    const speechSeconds = vad.speechSeconds;
    ctx.results.audio = {
      duration_seconds: duration,
      loudness,
      silences,
      speech_segments: speech,
      speech_seconds: Math.round(speechSeconds * 1000) / 1000,
      speech_detector: 'voice-activity (loudness modulation, voicing, pitch motion)',
      waveform: wave.relativePath,
      prepared_for_transcription: {
        path: prepared.relativePath,
        sample_rate: 16000,
        channels: 1,
        size_bytes: prepared.sizeBytes,
      },
    };
  },
};
