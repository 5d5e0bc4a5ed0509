/** OCR on video frames (`options.ocr: true`), with text de-duplicated across frames. */
import { recognize } from '../../media/ocr.ts';
import { allOf, unless, type Stage } from '../stage.ts';

/** Normalised form used to spot the same caption on several frames. */
export function normaliseLine(line: string): string {
  return line
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Lines seen on several frames are kept once, with every time they appeared. */
export function dedupeFrameText(
  frames: Array<{ seconds: number; text: string }>,
): Array<{ text: string; seconds: number[] }> {
  const seen = new Map<string, { text: string; seconds: number[] }>();
  for (const f of frames) {
    for (const line of f.text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => normaliseLine(l).length >= 2)) {
      const key = normaliseLine(line);
      const entry = seen.get(key) ?? { text: line, seconds: [] };
      if (!entry.seconds.includes(f.seconds)) entry.seconds.push(f.seconds);
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
    const results: Array<{ seconds: number; text: string; confidence: number }> = [];
    for (const f of ctx.frames!) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const r = await recognize(f.absolutePath);
      results.push({ seconds: f.seconds, text: r.text, confidence: r.confidence });
    }
    const lines = dedupeFrameText(results);
    ctx.results.ocr = { frames: results.length, lines, text: lines.map((l) => l.text).join('\n') };
  },
};
