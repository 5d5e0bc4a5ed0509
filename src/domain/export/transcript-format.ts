/**
 * Transcript exports: SRT, WebVTT, plain text and JSON (with word times when the
 * transcription has them). Pure functions; timecodes are checked against real parsers
 * (`subtitle`, `webvtt-parser`) in the tests, with multi-byte text.
 */
import type { AnalysisResults } from '../../contract/results.schema.ts';

export interface TranscriptWord {
  start: number;
  end: number;
  word: string;
  /** The local engine's posterior (0-1), when it gives one. */
  confidence?: number;
  /** Under the calibrated word confidence: a guess, not what was said for certain. */
  low_confidence?: true;
}

export interface TranscriptCue {
  start: number;
  end: number;
  text: string;
  words?: TranscriptWord[];
}

export interface Transcript {
  text: string;
  language?: string | null;
  segments: TranscriptCue[];
}

export const TRANSCRIPT_FORMATS = ['srt', 'vtt', 'txt', 'json'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export const TRANSCRIPT_CONTENT_TYPES: Record<TranscriptFormat, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT), from seconds, rounded to the millisecond. */
export function timecode(seconds: number, separator: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

/** Cue text on one line: a blank line would end the cue, and "-->" would confuse WebVTT. */
function cueText(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replaceAll('-->', '->')
    .trim();
}

/** Cues with text, in time order, each at least 1 ms long. */
function cues(t: Transcript): TranscriptCue[] {
  return t.segments
    .filter((c) => cueText(c.text).length > 0)
    .map((c) => ({ ...c, end: Math.max(c.end, c.start + 0.001) }))
    .sort((a, b) => a.start - b.start);
}

export function toSrt(t: Transcript): string {
  return cues(t)
    .map((c, i) => `${i + 1}\n${timecode(c.start, ',')} --> ${timecode(c.end, ',')}\n${cueText(c.text)}\n`)
    .join('\n');
}

export function toVtt(t: Transcript): string {
  const body = cues(t)
    .map((c, i) => `${i + 1}\n${timecode(c.start, '.')} --> ${timecode(c.end, '.')}\n${cueText(c.text)}\n`)
    .join('\n');
  return `WEBVTT\n\n${body}`;
}

export function toTxt(t: Transcript): string {
  const text =
    t.text.trim() ||
    cues(t)
      .map((c) => cueText(c.text))
      .join('\n');
  return `${text}\n`;
}

export function toJson(t: Transcript): string {
  return `${JSON.stringify(
    {
      text: t.text,
      language: t.language ?? null,
      segments: cues(t).map((c) => ({
        start: c.start,
        end: c.end,
        text: cueText(c.text),
        ...(c.words ? { words: c.words } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}

export function formatTranscript(t: Transcript, format: TranscriptFormat): string {
  switch (format) {
    case 'srt':
      return toSrt(t);
    case 'vtt':
      return toVtt(t);
    case 'txt':
      return toTxt(t);
    case 'json':
      return toJson(t);
  }
}

/**
 * Read a transcript out of an analysis's results (null when it has none). The local engine
 * keeps its word times beside the segments (`transcript.words`); each segment gets the
 * words that start inside it, so the JSON export has word times for it too.
 */
export function transcriptOf(results: AnalysisResults | null): Transcript | null {
  const t = results?.transcript;
  if (!t) return null;
  const words = t.words ?? [];
  const segments = t.segments.map((s): TranscriptCue => {
    const inside = words.filter((w) => w.start >= s.start && w.start < s.end);
    return inside.length
      ? {
          ...s,
          words: inside.map((w) => ({
            start: w.start,
            end: w.end,
            word: w.word,
            ...(w.confidence !== undefined ? { confidence: w.confidence } : {}),
            ...(w.low_confidence ? { low_confidence: true as const } : {}),
          })),
        }
      : { ...s };
  });
  return { text: t.text, language: t.language, segments };
}
