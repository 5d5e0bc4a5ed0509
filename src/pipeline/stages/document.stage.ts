/**
 * Document: text with page boundaries (PDF), DOCX, HTML, TXT/Markdown/CSV; page count,
 * title, language; OCR for scanned PDF pages. The full text is stored as
 * `outputs/{date}/{id}/document.txt`; `results` keeps a preview and per-page sizes.
 */
import { sandboxLimits } from '../../media/sandbox/sandbox-limits.ts';
import { storeArtifact } from '../artifacts.ts';
import { ocrAcceptance, ocrReading } from './ocr-acceptance.ts';
import { unless, type Stage } from '../stage.ts';

/** Characters of text kept inline in `results` (the rest is in document.txt). */
export const TEXT_PREVIEW_CHARS = 4_000;

export const documentStage: Stage = {
  name: 'document',
  needs: ['probe'],
  produces: ['document'],
  // Required: for a document this stage is what every other result depends on, so its
  // permanent failure (DOCUMENT_TOO_LARGE, MEDIA_CORRUPT, …) fails the analysis with
  // its code. For other media it does not apply and is skipped.
  optional: false,
  appliesTo: (ctx) => unless(ctx.source?.mediaType === 'document', 'not a document'),
  async run(ctx) {
    const { extractDocumentText } = ctx.deps.tools.documents;
    const { config } = ctx.deps;
    const { absolutePath, mime } = ctx.source!;
    const doc = await extractDocumentText(
      absolutePath,
      mime,
      {
        maxPages: config.media.maxDocumentPages,
        ocr: ctx.analysis.options.ocr !== false,
        ocrAcceptance: ocrAcceptance(),
        ocrReading: ocrReading('page'),
        pdftoppmPath: config.media.pdftoppmPath,
        maxPixels: config.media.maxImagePixels,
        ...sandboxLimits.ocr(config),
      },
      sandboxLimits.decode(config, ctx.signal),
    );
    const stored = await storeArtifact(ctx, 'outputs', 'document.txt', doc.text, 'text/plain; charset=utf-8');
    ctx.results.document = {
      format: doc.format,
      pages: doc.pages,
      title: doc.title,
      language: doc.language,
      characters: doc.characters,
      ocr_pages: doc.ocr_pages,
      ...(doc.ocr_skipped_pages ? { ocr_skipped_pages: doc.ocr_skipped_pages } : {}),
      text_preview: doc.text.slice(0, TEXT_PREVIEW_CHARS),
      truncated: doc.text.length > TEXT_PREVIEW_CHARS,
      text_path: stored.relativePath,
      page_texts:
        doc.page_texts?.map((p) => ({
          page: p.page,
          characters: p.text.length,
          source: p.source,
          ...(p.ocr_confidence !== undefined ? { ocr_confidence: p.ocr_confidence } : {}),
        })) ?? null,
    };
  },
};
