/**
 * Understanding: language, entities and keywords over everything the analysis heard and
 * read (transcript, on-screen text, image text, document text), chapters for long media
 * (at pauses in speech), and the searchable segments (embedded in batches in the
 * embedding worker thread, stored in media_segments). A failure here is recorded in the
 * section; the analysis still completes with what the other stages found.
 */
import fs from 'node:fs/promises';
import { understandText, keywords, isProse } from '../../nlp/text-understanding.ts';
import { indexSegments } from '../../domain/search/segment-indexer.ts';
import {
  documentParagraphs,
  nearestFrame,
  segmentsAsWindows,
  transcriptWindows,
  MAX_UNSURE_WORD_SHARE,
  visionDrafts,
  type SegmentDraft,
  type TranscriptWindow,
} from '../../domain/search/segment-drafts.ts';
import type { Stage, StageContext } from '../stage.ts';

/** Media at least this long get chapters. */
export const CHAPTER_MIN_MEDIA_SECONDS = 120;
/** A pause in speech this long may start a chapter, once the current one is this long. */
const CHAPTER_PAUSE_SECONDS = 2;
const CHAPTER_MIN_SECONDS = 45;

export interface Chapter {
  start: number;
  end: number;
  title: string;
}

/**
 * Chapters from transcript windows: cut at long pauses once a chapter is long enough;
 * titled by the keywords of the words the engine was sure of (`sure`, else `text`).
 */
export function chaptersFromWindows(
  windows: Array<{ start: number; end: number; text: string; sure?: string }>,
  duration: number,
): Chapter[] {
  if (duration < CHAPTER_MIN_MEDIA_SECONDS || windows.length === 0) return [];
  const chapters: Chapter[] = [];
  let current: typeof windows = [];
  const flush = (end: number) => {
    if (!current.length) return;
    const start = chapters.length ? chapters[chapters.length - 1]!.end : 0;
    const title = keywords(current.map((w) => w.sure ?? w.text).join('\n'), 3).join(', ') || 'speech';
    chapters.push({ start, end, title });
    current = [];
  };
  for (const w of windows) {
    const prev = current[current.length - 1];
    const chapterStart = chapters.length ? chapters[chapters.length - 1]!.end : 0;
    if (prev && w.start - prev.end >= CHAPTER_PAUSE_SECONDS && prev.end - chapterStart >= CHAPTER_MIN_SECONDS)
      flush((prev.end + w.start) / 2);
    current.push(w);
  }
  flush(duration);
  return chapters;
}

async function drafts(ctx: StageContext): Promise<{ drafts: SegmentDraft[]; windows: TranscriptWindow[] }> {
  const r = ctx.results;
  const frames = (ctx.frames ?? []).map((f) => ({ seconds: f.seconds, path: f.relativePath }));
  const out: SegmentDraft[] = [];
  const words = r.transcript?.words;
  // Windows mostly of words the local engine marked low-confidence are not indexed (nor quoted).
  const windows = words?.length
    ? transcriptWindows(words).filter((w) => w.unsure <= MAX_UNSURE_WORD_SHARE)
    : segmentsAsWindows(r.transcript?.segments ?? []);
  for (const w of windows)
    out.push({
      kind: 'transcript',
      start: w.start,
      end: w.end,
      page: null,
      text: w.text,
      keyframe: nearestFrame(frames, (w.start + w.end) / 2),
      // Search matches only the words the engine was sure of; the text stays whole, marked.
      // Every window carries them (a window without is one the backfill has not reached).
      sure: w.sure,
    });
  for (const line of r.ocr?.lines ?? []) {
    const at = line.seconds[0] ?? 0;
    out.push({
      kind: 'ocr',
      start: at,
      end: line.seconds[line.seconds.length - 1] ?? at,
      page: null,
      text: line.text,
      keyframe: nearestFrame(frames, at),
    });
  }
  const imageText = r.image?.ocr?.text;
  if (imageText)
    for (const line of imageText.split('\n'))
      out.push({ kind: 'image_text', start: null, end: null, page: null, text: line, keyframe: null });
  if (r.document?.text_path) {
    const text = await fs.readFile(ctx.deps.storage.resolve(r.document.text_path), 'utf8');
    for (const p of documentParagraphs(text, r.document.format === 'pdf'))
      out.push({ kind: 'document', start: null, end: null, page: p.page, text: p.text, keyframe: null });
  }
  // Shots and objects: searchable by what was seen ("a dog" finds the time it was seen).
  out.push(...visionDrafts(r, frames, ctx.source?.mediaType === 'image'));
  return { drafts: out, windows };
}

export const understandingStage: Stage = {
  name: 'understanding',
  needs: [],
  uses: ['transcript', 'ocr', 'image', 'document', 'frames', 'shots', 'cues', 'objects', 'faces'],
  produces: ['understanding'],
  optional: true,
  appliesTo: (ctx) => ctx.source !== null,
  async run(ctx) {
    const started = performance.now();
    try {
      const { drafts: list, windows } = await drafts(ctx);
      // Language, entities and keywords come from what was heard and read, not from the
      // shot/object labels; from speech, only the words the engine was sure of; of a
      // document, only prose (a hex dump or markup on a page yields no names, keywords or language).
      const read = list.filter(
        (d) =>
          d.kind !== 'shot' &&
          d.kind !== 'object' &&
          d.kind !== 'transcript' &&
          (d.kind !== 'document' || isProse(d.text)),
      );
      const understanding = understandText([...windows.map((w) => w.sure), ...read.map((d) => d.text)].join('\n'));
      const chapters = chaptersFromWindows(windows, ctx.media?.durationSeconds ?? 0);
      const indexed = await indexSegments(
        ctx.deps.db,
        ctx.deps.repositories,
        ctx.deps.tools.embedder(),
        { id: ctx.analysis.id, tenantId: ctx.analysis.tenantId },
        list,
        ctx.signal,
      );
      ctx.results.understanding = {
        ...understanding,
        chapters,
        segments: { stored: indexed.stored, by_kind: indexed.byKind, not_indexed: indexed.dropped },
        ms: Math.round(performance.now() - started),
      };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn({ err: (err as Error).message }, 'understanding failed; the analysis goes on without it');
      ctx.results.understanding = {
        error: { code: 'PROCESSING_FAILED', message: (err as Error).message.slice(0, 500) },
      };
    }
  },
};
