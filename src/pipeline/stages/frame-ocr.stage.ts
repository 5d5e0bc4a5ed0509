/**
 * OCR on video frames (`options.ocr: true`), read at the source's size (the frames stage
 * takes each moment twice then), with text de-duplicated across frames. Only
 * lines that pass the calibrated thresholds (TEXT_CALIBRATION) are in `lines` and `text`,
 * each with its confidence; what was read below them is in `rejected`, for inspection,
 * and is never summarised, quoted or indexed.
 */
import type { OcrLine } from '../../media/ocr.ts';
import { ocrAcceptance, ocrReading } from './ocr-acceptance.ts';
import { allOf, unless, type Stage } from '../stage.ts';
import type { FrameOcrLine } from '../results.types.ts';

/** Normalised form used to spot the same caption on several frames. */
export function normaliseLine(line: string): string {
  return line
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Lines seen on several frames are kept once, with every time they appeared and their best confidence. */
export function dedupeFrameText(frames: Array<{ seconds: number; lines: OcrLine[] }>): FrameOcrLine[] {
  const seen = new Map<string, FrameOcrLine>();
  for (const f of frames) {
    for (const line of f.lines) {
      const text = line.text.trim();
      const key = normaliseLine(text);
      if (key.length < 2) continue;
      const entry = seen.get(key) ?? { text, seconds: [], confidence: line.confidence };
      if (!entry.seconds.includes(f.seconds)) entry.seconds.push(f.seconds);
      entry.confidence = Math.max(entry.confidence, line.confidence);
      seen.set(key, entry);
    }
  }
  return [...seen.values()];
}

export const frameOcrStage: Stage = {
  name: 'frame_ocr',
  needs: ['frames'],
  produces: ['ocr'],
  optional: true,
  appliesTo: (ctx) =>
    allOf(
      unless(ctx.analysis.options.ocr === true, 'ocr is not requested'),
      unless((ctx.frames?.length ?? 0) > 0, 'no frame could be extracted'),
    ),
  async run(ctx) {
    const { recognize, OCR_ENGINE } = ctx.deps.tools.ocr;
    const acceptance = ocrAcceptance();
    const reading = ocrReading('picture');
    const accepted: Array<{ seconds: number; lines: OcrLine[] }> = [];
    const rejected: Array<{ seconds: number; lines: OcrLine[] }> = [];
    for (const f of ctx.frames!) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // The frame at the source's size when the frames stage took one (it does when OCR is asked for).
      const r = await recognize(f.fullPath ?? f.absolutePath, acceptance, reading);
      accepted.push({ seconds: f.seconds, lines: r.lines });
      rejected.push({ seconds: f.seconds, lines: r.rejected });
    }
    const lines = dedupeFrameText(accepted);
    ctx.results.ocr = {
      engine: OCR_ENGINE,
      frames: accepted.length,
      lines,
      text: lines.map((l) => l.text).join('\n'),
      rejected: dedupeFrameText(rejected),
    };
  },
};
