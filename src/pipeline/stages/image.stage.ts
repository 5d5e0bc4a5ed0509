/**
 * Image: EXIF (GPS only with `options.keep_gps`), dominant colours, a thumbnail, and OCR
 * text with confidence (on by default; `options.ocr: false` turns it off). Only lines that
 * pass the calibrated thresholds are in `ocr.text` / `ocr.lines` (what the summary, the
 * answer and search read); the rest are in `ocr.rejected`, for inspection.
 */
import { ocrAcceptance, ocrReading } from './ocr-acceptance.ts';
import { storeArtifact } from '../artifacts.ts';
import { unless, type Stage } from '../stage.ts';
import type { ImageSection } from '../results.types.ts';

export const imageStage: Stage = {
  name: 'image',
  needs: ['probe'],
  produces: ['image'],
  optional: true,
  appliesTo: (ctx) => unless(ctx.source?.mediaType === 'image', 'not an image'),
  async run(ctx) {
    const { summarizeExif, dominantColours, thumbnail, probeImage } = ctx.deps.tools.images;
    const { recognize } = ctx.deps.tools.ocr;
    const { config } = ctx.deps;
    const file = ctx.source!.absolutePath;
    const maxPixels = config.media.maxImagePixels;
    const meta = await probeImage(file, maxPixels);
    const thumb = await storeArtifact(
      ctx,
      'outputs',
      'thumbnail.jpg',
      await thumbnail(file, 320, maxPixels),
      'image/jpeg',
    );
    const section: ImageSection = {
      width: meta.width,
      height: meta.height,
      format: meta.format,
      exif: summarizeExif(meta.exif, ctx.analysis.options.keep_gps === true),
      dominant_colours: await dominantColours(file, 5, maxPixels),
      thumbnail: thumb.relativePath,
    };
    if (ctx.analysis.options.ocr !== false) {
      const started = performance.now();
      const ocr = await recognize(file, ocrAcceptance(), ocrReading('picture'));
      section.ocr = { ...ocr, ms: Math.round(performance.now() - started) };
    }
    ctx.results.image = section;
  },
};
