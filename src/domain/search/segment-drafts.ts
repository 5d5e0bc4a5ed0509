/**
 * From what the stages found to searchable segments: pure code, no I/O.
 *
 * Vocabulary: a **segment** is one piece of an analysis' material — a window of the
 * transcript (start/end seconds), an on-screen text line (the seconds it was seen), a
 * paragraph of a document (its page), text read from an image, or a shot label/object
 * (seconds, keyframe). Each becomes a row of `media_segments` with a full-text vector and
 * an embedding, which library search and the prompt-aware answer use.
 */

import { countPhrase, joinList } from '../analysis/vision-summary.ts';
import type { VisionResults } from '../analysis/vision.sections.ts';

export type SegmentDraftKind = 'transcript' | 'ocr' | 'document' | 'image_text' | 'shot' | 'object';

export interface SegmentDraft {
  kind: SegmentDraftKind;
  start: number | null;
  end: number | null;
  page: number | null;
  text: string;
  /** Relative storage path of the frame that shows this moment, when there is one. */
  keyframe: string | null;
  /** The words search may match, when fewer than `text`'s (NewSegment.sure). */
  sure?: string;
}

export interface TimedWord {
  word: string;
  start: number;
  end: number;
  /** Set by the local engine on words under its calibrated confidence (SPEECH_CALIBRATION). */
  low_confidence?: boolean;
}

/**
 * A transcript window most of whose words the engine was unsure of is not a finding: it is
 * neither indexed nor quoted. A window is kept or dropped whole, never with words cut out of
 * it: "he was not [an ill disposed] young man" quoted as "he was not" would say the opposite.
 */
export const MAX_UNSURE_WORD_SHARE = 0.5;

/** Longest segment text; longer paragraphs or lines are cut (a 1 MB line becomes many segments). */
export const SEGMENT_MAX_CHARS = 1000;
/** At most this many segments per analysis (the rest is not searchable; the section says so). */
export const MAX_SEGMENTS_PER_ANALYSIS = 2000;
/**
 * One line or paragraph longer than this is not prose (a dump, an attack): only its head
 * is indexed, so 1 MB of one line costs 16 segments, not a thousand embeddings.
 */
export const MAX_ITEM_CHARS = 16 * SEGMENT_MAX_CHARS;
/** Transcript windows end at a pause this long, or at this many words / seconds. */
const WINDOW_PAUSE_SECONDS = 0.8;
const WINDOW_MAX_WORDS = 40;
const WINDOW_MAX_SECONDS = 20;

/**
 * Text as it may be stored: NUL (which PostgreSQL text refuses) and other C0 controls
 * except tab/newline become spaces; runs of whitespace collapse. Markup stays as text —
 * it is never rendered, and JSON encoding escapes what needs escaping.
 */
export function storableText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are stripped on purpose
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
      .replace(/[ \t]+/g, ' ')
      .trim()
  );
}

/** Pieces of at most SEGMENT_MAX_CHARS, cut at a space when there is one near the end. */
export function cutText(text: string, max = SEGMENT_MAX_CHARS): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Do not split a surrogate pair.
    if (/[\ud800-\udbff]/.test(rest[cut - 1] ?? '')) cut--;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * A window's words without the ones the engine was unsure of, each run of those a sentence
 * break: what keywords, entities and chapter titles are drawn from (a word the recogniser
 * all but guessed is no keyword, and a name must not be joined across a gap).
 */
export function sureText(words: readonly TimedWord[]): string {
  const runs: string[][] = [[]];
  for (const w of words) {
    if (!w.low_confidence) runs[runs.length - 1]!.push(w.word);
    else if (runs[runs.length - 1]!.length) runs.push([]);
  }
  return runs
    .filter((r) => r.length)
    .map((r) => r.join(' '))
    .join('.\n');
}

/** Words as text, each run of low-confidence ones as "[words?]". */
export function markWords(words: ReadonlyArray<{ word: string; low_confidence?: true | boolean }>): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.push(`[${run.join(' ')}?]`);
    run = [];
  };
  for (const w of words) {
    if (w.low_confidence) run.push(w.word);
    else {
      flush();
      out.push(w.word);
    }
  }
  flush();
  return out.join(' ');
}

/** A run of words marked unsure by markWords. */
export const UNSURE_MARK = /\[[^\]]+\?\]/;

export interface TranscriptWindow {
  start: number;
  end: number;
  /**
   * Every word, as heard, each run of unsure ones marked "[words?]" (markWords): what is
   * stored, shown in search hits and quoted, so an unsure word never reads as heard.
   */
  text: string;
  /** Every word, unmarked (what windows were stored with before the marks). */
  plain: string;
  /** The words the engine was sure of (sureText). */
  sure: string;
  /** Share of the words marked low-confidence. */
  unsure: number;
}

/** Transcript windows: words grouped until a pause, WINDOW_MAX_WORDS words or WINDOW_MAX_SECONDS. */
export function transcriptWindows(words: readonly TimedWord[]): TranscriptWindow[] {
  const windows: TranscriptWindow[] = [];
  let current: TimedWord[] = [];
  const flush = () => {
    if (current.length === 0) return;
    windows.push({
      start: current[0]!.start,
      end: current[current.length - 1]!.end,
      text: markWords(current),
      plain: current.map((w) => w.word).join(' '),
      sure: sureText(current),
      unsure: current.filter((w) => w.low_confidence).length / current.length,
    });
    current = [];
  };
  for (const w of words) {
    const prev = current[current.length - 1];
    if (
      prev &&
      (w.start - prev.end >= WINDOW_PAUSE_SECONDS ||
        current.length >= WINDOW_MAX_WORDS ||
        w.end - current[0]!.start > WINDOW_MAX_SECONDS)
    )
      flush();
    current.push(w);
  }
  flush();
  return windows;
}

/** Provider transcripts come as timed segments without words (nor word confidences): treat each as a window. */
export function segmentsAsWindows(
  segments: ReadonlyArray<{ start: number; end: number; text: string }>,
): TranscriptWindow[] {
  return segments
    .filter((s) => s.text.trim())
    .map((s) => ({
      start: s.start,
      end: s.end,
      text: s.text.trim(),
      plain: s.text.trim(),
      sure: s.text.trim(),
      unsure: 0,
    }));
}

/** The stored frame nearest to `seconds`. */
export function nearestFrame(frames: ReadonlyArray<{ seconds: number; path: string }>, seconds: number): string | null {
  let best: { seconds: number; path: string } | null = null;
  for (const f of frames) if (!best || Math.abs(f.seconds - seconds) < Math.abs(best.seconds - seconds)) best = f;
  return best?.path ?? null;
}

/** Document paragraphs with their page (pages are separated by form feeds in document.txt). */
export function documentParagraphs(text: string, paged: boolean): Array<{ page: number | null; text: string }> {
  const pages = paged ? text.split('\f') : [text];
  const out: Array<{ page: number | null; text: string }> = [];
  pages.forEach((pageText, i) => {
    for (const para of pageText.split(/\n\s*\n|\r\n\s*\r\n/)) {
      const clean = storableText(para.replace(/\s*\n\s*/g, ' '));
      if (clean) out.push({ page: paged ? i + 1 : null, text: clean });
    }
  });
  return out;
}

/** Every draft cut to size and cleaned, empty ones dropped, capped at MAX_SEGMENTS_PER_ANALYSIS. */
export function finalizeDrafts(drafts: SegmentDraft[]): { drafts: SegmentDraft[]; dropped: number } {
  const out: SegmentDraft[] = [];
  for (const d of drafts)
    for (const piece of cutText(storableText(d.text.slice(0, MAX_ITEM_CHARS))))
      // A window cut into pieces (never at WINDOW_MAX_WORDS words) gives each piece the
      // window's sure words: a piece still matches only words of its own text (tsv) that
      // the engine was sure of somewhere in the window.
      out.push(
        d.sure === undefined
          ? { ...d, text: piece }
          : { ...d, text: piece, sure: storableText(d.sure.slice(0, MAX_ITEM_CHARS)) },
      );
  return {
    drafts: out.slice(0, MAX_SEGMENTS_PER_ANALYSIS),
    dropped: Math.max(0, out.length - MAX_SEGMENTS_PER_ANALYSIS),
  };
}

/** A shot mostly covered by a cue is described by it ("black screen"). */
const CUE_COVER = 0.5;

function covered(stretches: ReadonlyArray<{ start: number; end: number }>, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0) return false;
  let overlap = 0;
  for (const c of stretches) overlap += Math.max(0, Math.min(end, c.end) - Math.max(start, c.start));
  return overlap / length >= CUE_COVER;
}

/**
 * What the vision stages saw, as segments: one per shot where something was recognised
 * ("Shot 2 of 5: a cup", its start and end, its representative frame) — a shot where
 * nothing was is not a finding, so it is not indexed (search would match it and the answer
 * quote it) — and one per object label per shot ("a dog", from the
 * first to the last frame of the shot it was seen on; frames without shots each stand
 * alone). On an image, object segments have no time. Failed sections add nothing.
 */
export function visionDrafts(
  r: VisionResults,
  frames: ReadonlyArray<{ seconds: number; path: string }>,
  isImage: boolean,
): SegmentDraft[] {
  const out: SegmentDraft[] = [];
  const objects = r.objects?.status === 'completed' ? r.objects : null;
  const faces = r.faces?.status === 'completed' ? r.faces : null;
  if (r.shots?.status === 'completed') {
    const { count, items } = r.shots;
    for (const shot of items) {
      const seen = (objects?.per_shot.find((p) => p.shot === shot.index)?.labels ?? []).map((l) =>
        countPhrase(l.label, l.count),
      );
      const faceCount = faces?.per_shot.find((p) => p.shot === shot.index)?.count ?? 0;
      if (faceCount > 0 && !seen.some((s) => /people|person/.test(s)))
        seen.push(faceCount === 1 ? 'a face' : `${faceCount} faces`);
      if (r.cues && covered(r.cues.black, shot.start, shot.end)) seen.push('black screen');
      else if (r.cues && covered(r.cues.frozen, shot.start, shot.end)) seen.push('still picture');
      if (seen.length === 0) continue;
      out.push({
        kind: 'shot',
        start: shot.start,
        end: shot.end,
        page: null,
        text: `Shot ${shot.index + 1} of ${count}: ${joinList(seen)}`,
        keyframe: nearestFrame(frames, shot.keyframe_seconds),
      });
    }
  }
  if (objects) {
    // label → group (a shot, or a lone frame) → the frames' times and the most seen at once.
    const groups = new Map<string, { label: string; seconds: number[]; count: number }>();
    for (const frame of objects.frames) {
      const perLabel = new Map<string, number>();
      for (const item of frame.items) perLabel.set(item.label, (perLabel.get(item.label) ?? 0) + 1);
      for (const [label, n] of perLabel) {
        const key = `${label}\u0000${frame.shot ?? `t${frame.seconds}`}`;
        const g = groups.get(key) ?? { label, seconds: [], count: 0 };
        g.seconds.push(frame.seconds);
        g.count = Math.max(g.count, n);
        groups.set(key, g);
      }
    }
    const ordered = [...groups.values()].sort(
      (a, b) => a.seconds[0]! - b.seconds[0]! || a.label.localeCompare(b.label),
    );
    for (const g of ordered) {
      const first = Math.min(...g.seconds);
      out.push({
        kind: 'object',
        start: isImage ? null : first,
        end: isImage ? null : Math.max(...g.seconds),
        page: null,
        text: countPhrase(g.label, g.count),
        keyframe: isImage ? null : nearestFrame(frames, first),
      });
    }
  }
  return out;
}
