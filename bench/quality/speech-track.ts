/**
 * The speech evaluation's decoding, the way an analysis decodes a media file: the
 * recordings of one set are joined into one file (1 s of silence between them, like
 * utterances in one recording), then the audio stage's steps — ffmpeg's 16 kHz mono
 * preparation (extractAudioArgs), voice-activity detection (detectVoiceActivity) — and
 * the transcription stage's local path (transcribeTrack: chunk plan → pocketsphinx, two
 * engines) run on it. Shared by bench/quality/speech.eval.ts and bench/speech.bench.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { extractAudioArgs, runFfmpeg } from '../../src/media/ffmpeg.ts';
import { detectVoiceActivity, pcm16ToFloat, wavData } from '../../src/media/voice-activity.ts';
import {
  transcribeTrack,
  wavFile,
  type DecoderSettings,
  type LocalSpeechConfig,
  type RecognizedWord,
} from '../../src/media/local-speech.ts';
import type { AdaptationConfig } from '../../src/media/speech-adaptation.ts';
import type { SpeechLabel } from './speech-labels.build.ts';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFMPEG_TIMEOUT_MS = 60_000;
const BYTES_PER_SECOND = 32000;
/** Silence between two recordings of a set, and before the first. */
export const GAP_SECONDS = 1;
/** A set (one "media file") holds recordings up to about this long. */
export const TRACK_SECONDS = 60;
/** The product's default LOCAL_SPEECH_MAX_SECONDS (no set comes near it). */
const MAX_SECONDS = 1800;
/** The engines the transcription stage runs at once on the reference 2-core budget (stageCores). */
const ENGINES = 2;

export function engineConfig(
  decoder?: DecoderSettings,
  spanPaddingSeconds?: number,
  cmnSeed?: DecoderSettings | null,
  adaptation?: AdaptationConfig | null,
): LocalSpeechConfig {
  return {
    binary: process.env.POCKETSPHINX_PATH ?? 'pocketsphinx_continuous',
    modelDir: process.env.POCKETSPHINX_MODEL_DIR ?? '/usr/share/pocketsphinx/model/en-us',
    timeoutMs: 300_000,
    parallel: ENGINES,
    ...(decoder ? { decoder } : {}),
    ...(spanPaddingSeconds === undefined ? {} : { spanPaddingSeconds }),
    ...(cmnSeed === undefined ? {} : { cmnSeed }),
    ...(adaptation === undefined ? {} : { adaptation }),
  };
}

export interface Utterance {
  label: SpeechLabel;
  /** Where it sits in the joined track, seconds. */
  start: number;
  end: number;
}

export interface Track {
  name: string;
  split: SpeechLabel['split'];
  band: SpeechLabel['band'];
  corpus: SpeechLabel['corpus'];
  utterances: Utterance[];
  /** The joined file (16 kHz mono WAV), as a user would upload it. */
  file: string;
  seconds: number;
}

/** One recording as 16 kHz mono 16-bit PCM (the raw test files are already that). */
async function utterancePcm(label: SpeechLabel, tmp: string): Promise<Buffer> {
  if (label.format === 'raw') return fs.readFileSync(label.file);
  const out = path.join(tmp, 'utterance.wav');
  await runFfmpeg(FFMPEG, extractAudioArgs(label.file, out), { timeoutMs: FFMPEG_TIMEOUT_MS });
  return wavData(fs.readFileSync(out)).pcm;
}

/**
 * The labels' recording sets: per corpus and split (or `groupOf`), in id order, cut into
 * tracks of about TRACK_SECONDS.
 */
export async function buildTracks(
  labels: readonly SpeechLabel[],
  tmp: string,
  groupOf: (l: SpeechLabel) => string = (l) => `${l.corpus} ${l.split}`,
): Promise<Track[]> {
  const groups = new Map<string, SpeechLabel[]>();
  for (const l of labels) {
    const key = groupOf(l);
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const gap = Buffer.alloc(GAP_SECONDS * BYTES_PER_SECOND);
  const tracks: Track[] = [];
  for (const [key, items] of groups) {
    let parts: Buffer[] = [];
    let utterances: Utterance[] = [];
    let at = 0;
    const flush = () => {
      if (!utterances.length) return;
      parts.push(gap);
      const first = utterances[0]!.label;
      const name = `${key} ${tracks.filter((t) => t.name.startsWith(`${key} `)).length + 1}`;
      const file = path.join(tmp, `${name.replace(/[^a-z0-9]+/gi, '-')}.wav`);
      const pcm = Buffer.concat(parts);
      fs.writeFileSync(file, wavFile(pcm));
      tracks.push({
        name,
        split: first.split,
        band: first.band,
        corpus: first.corpus,
        utterances,
        file,
        seconds: pcm.length / BYTES_PER_SECOND,
      });
      parts = [];
      utterances = [];
      at = 0;
    };
    for (const label of [...items].sort((a, b) => a.id.localeCompare(b.id))) {
      const pcm = await utterancePcm(label, tmp);
      const seconds = pcm.length / BYTES_PER_SECOND;
      if (at > 0 && at + GAP_SECONDS + seconds > TRACK_SECONDS) flush();
      parts.push(gap, pcm);
      at += GAP_SECONDS;
      utterances.push({ label, start: at, end: at + seconds });
      at += seconds;
    }
    flush();
  }
  return tracks;
}

export interface Decoded {
  words: RecognizedWord[];
  chunks: number;
  speechSeconds: number;
  /** Preparation excluded: voice-activity detection + decoding, wall time. */
  ms: number;
  /** The same work's CPU time: this process (detection) and the engines it waited for. */
  cpuSeconds: number;
}

/** CPU seconds of finished child processes (the engines): /proc/self/stat cutime + cstime, in clock ticks. */
function childCpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The audio stage's preparation and detection, then the transcription stage's local path. */
export async function decodeTrack(
  track: Track,
  tmp: string,
  decoder?: DecoderSettings,
  spanPaddingSeconds?: number,
  cmnSeed?: DecoderSettings | null,
  adaptation?: AdaptationConfig | null,
): Promise<Decoded> {
  const prepared = path.join(tmp, 'audio-16k-mono.wav');
  await runFfmpeg(FFMPEG, extractAudioArgs(track.file, prepared), { timeoutMs: FFMPEG_TIMEOUT_MS });
  const { pcm } = wavData(fs.readFileSync(prepared));
  const t0 = performance.now();
  const child0 = childCpuSeconds();
  const own0 = process.cpuUsage();
  const vad = detectVoiceActivity(pcm16ToFloat(pcm));
  const { chunks, words } = await transcribeTrack(
    pcm,
    vad.speech,
    pcm.length / BYTES_PER_SECOND,
    MAX_SECONDS,
    path.join(tmp, 'speech'),
    engineConfig(decoder, spanPaddingSeconds, cmnSeed, adaptation),
  );
  const own = process.cpuUsage(own0);
  return {
    words,
    chunks: chunks.length,
    speechSeconds: vad.speechSeconds,
    ms: performance.now() - t0,
    cpuSeconds: childCpuSeconds() - child0 + (own.user + own.system) / 1e6,
  };
}

/** The recognised words that fall on one utterance of the track (by their middle). */
export function wordsOf(u: Utterance, words: readonly RecognizedWord[]): RecognizedWord[] {
  const half = GAP_SECONDS / 2;
  return words.filter((w) => {
    const mid = (w.start + w.end) / 2;
    return mid >= u.start - half && mid < u.end + half;
  });
}
